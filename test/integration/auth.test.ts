import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { makePki } from '../helpers/pki.js';
import { bearer, grpcTestClient } from '../helpers/grpc-client.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';

/** Who may do what: API keys, OIDC tokens, client certificates, scopes, rate limits, CORS, TLS. */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const KEYS = { infer: 'clk_infer_key_for_tests', admin: 'clk_admin_key_for_tests', metrics: 'clk_metrics_key_for_tests' };
const ISSUER = 'https://keycloak.hospital.example/realms/clinical';
const row = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] });

let server: ClinferServer;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwksServer: Server;

const call = async (path: string, options: { method?: string; token?: string; body?: string; headers?: Record<string, string> } = {}, base = server.url) => {
  const res = await fetch(`${base}${path}`, {
    method: options.method ?? (options.body ? 'POST' : 'GET'),
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    ...(options.body ? { body: options.body } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text.startsWith('{') ? JSON.parse(text) : undefined };
};
const token = (claims: Record<string, unknown>, options: { iss?: string; exp?: string } = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'kc-1' }).setIssuer(options.iss ?? ISSUER).setSubject('u-42').setAudience('clinfer')
    .setIssuedAt().setExpirationTime(options.exp ?? '5m').setJti(randomUUID()).sign(privateKey);

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'kc-1', alg: 'ES256', use: 'sig' }] });
  // The identity provider's JWKS endpoint (as Keycloak's /protocol/openid-connect/certs), on loopback.
  jwksServer = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(jwks));
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  server = await startTestServer(DEMO_MODELS, {
    apiKeys: [
      { name: 'pacs-router', sha256: sha(KEYS.infer), scopes: ['infer'] },
      { name: 'mlops', sha256: sha(KEYS.admin), scopes: ['admin', 'deploy'] },
      { name: 'prometheus', sha256: sha(KEYS.metrics), scopes: ['metrics'] },
    ],
    oidc: { issuer: ISSUER, jwksUri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/certs`, audience: 'clinfer', scopeClaim: 'realm_access.roles', roleScopes: { 'clinfer-clinician': ['infer'] } },
    rateLimit: { requestsPerSecond: 2, burst: 3, maxConcurrent: 8 },
    corsOrigins: ['https://viewer.hospital.example'],
  });
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => jwksServer?.close(r));
});

describe('API keys and scopes', () => {
  it('keeps liveness and readiness public', async () => {
    expect((await call('/v2/health/live')).status).toBe(200);
    expect((await call('/v2/health/ready')).status).toBe(200);
  });

  it('refuses a request without credentials or with an unknown key, saying how to authenticate', async () => {
    const none = await call('/v2/models/heart-disease-risk/infer', { body: row });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.json).toMatchObject({ code: 'UNAUTHENTICATED', error: expect.stringMatching(/Authorization: Bearer/) });
    expect((await call('/v2/models/heart-disease-risk', { token: 'clk_wrong' })).status).toBe(401);
    expect((await call('/v2/models/heart-disease-risk', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });

  it('lets each key do what its scopes allow, and nothing else (403)', async () => {
    expect((await call('/v2/models/heart-disease-risk/infer', { token: KEYS.infer, body: row })).status).toBe(200);
    const metricsWithInfer = await call('/metrics', { token: KEYS.infer });
    expect(metricsWithInfer.status).toBe(403);
    expect(metricsWithInfer.json.error).toMatch(/caller 'pacs-router' lacks the 'metrics' scope/);
    // The model list is readable with infer (the web app needs it); managing models is not.
    expect((await call('/v2/repository/index', { token: KEYS.infer, method: 'POST' })).status).toBe(200);
    expect((await call('/v2/repository/models/heart-disease-risk/load', { token: KEYS.infer, method: 'POST' })).status).toBe(403);
    expect((await call('/v2/repository/index', { token: KEYS.metrics, method: 'POST' })).status).toBe(403);
    expect((await call('/v2/repository/index', { token: KEYS.admin, method: 'POST' })).status).toBe(200);
    expect((await call('/metrics', { token: KEYS.metrics })).status).toBe(200);
    expect((await call('/v2/models/heart-disease-risk/infer', { token: KEYS.metrics, body: row })).status).toBe(403);
  });
});

describe('OIDC bearer tokens', () => {
  it('accepts a token from the issuer with a mapped role (Keycloak realm roles)', async () => {
    const t = await token({ realm_access: { roles: ['clinfer-clinician', 'offline_access'] } });
    expect((await call('/v2/models/heart-disease-risk/infer', { token: t, body: row })).status).toBe(200);
    expect((await call('/metrics', { token: t })).status).toBe(403);
  });

  it.each([
    ['another issuer', () => token({ realm_access: { roles: ['clinfer-clinician'] } }, { iss: 'https://evil.example' }), 401, /claim 'iss'/],
    ['an expired token', () => token({ realm_access: { roles: ['clinfer-clinician'] } }, { exp: '-2m' }), 401, /expired/],
    ['no mapped role', () => token({ realm_access: { roles: ['nurse'] } }), 403, /lacks the 'infer' scope/],
  ])('refuses %s', async (_what, make, expected, message) => {
    const res = await call('/v2/models/heart-disease-risk/infer', { token: await make(), body: row });
    expect(res.status).toBe(expected);
    expect(res.json.error).toMatch(message);
  });
});

describe('gRPC', () => {
  it('applies the same rules: health public, inference needs a key', async () => {
    const client = grpcTestClient(server.grpcAddress!);
    const rpc = (method: string, req: unknown, key?: string) => client.rpc(method, req, key ? bearer(key) : undefined);
    expect(await rpc('ServerLive', {})).toEqual({ live: true });
    await expect(rpc('ModelMetadata', { name: 'heart-disease-risk' })).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(rpc('ModelMetadata', { name: 'heart-disease-risk' }, KEYS.metrics)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    expect((await rpc('ModelMetadata', { name: 'heart-disease-risk' }, KEYS.infer)).name).toBe('heart-disease-risk');
    client.close();
  });
});

describe('rate limits and CORS', () => {
  it('limits each caller to its rate, with 429 and Retry-After, without touching other callers', async () => {
    await new Promise((r) => setTimeout(r, 2000)); // let earlier requests' tokens refill (2 per second, burst 3)
    // The clock stands still while the six requests run, so no token comes back between them however slow
    // the machine is: exactly the burst passes. Only Date is faked (the limiter reads Date.now); I/O is real.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const statuses: number[] = [];
    const retryAfter: (string | null)[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const res = await call('/v2/models/heart-disease-risk', { token: KEYS.infer });
        statuses.push(res.status);
        if (res.status === 429) retryAfter.push(res.headers.get('retry-after'));
      }
      expect((await call('/v2/repository/index', { token: KEYS.admin, method: 'POST' })).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect(retryAfter).toEqual(['1', '1', '1']);
  });

  it('answers CORS only for configured origins', async () => {
    const ok = await call('/v2/health/live', { headers: { origin: 'https://viewer.hospital.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://viewer.hospital.example');
    const other = await call('/v2/health/live', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call('/v2/models/heart-disease-risk/infer', { method: 'OPTIONS', headers: { origin: 'https://viewer.hospital.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });
});

describe('start-up', () => {
  it('refuses a non-loopback address without authentication unless --insecure, and says why', async () => {
    await expect(startTestServer(DEMO_MODELS, { host: '0.0.0.0' })).rejects.toThrow(/refusing to serve 0\.0\.0\.0 without authentication.*--insecure/);
  });
});

describe('TLS and client certificates', () => {
  const pki = makePki();
  let tlsServer: ClinferServer;
  const certDir = mkdtempSync(join(tmpdir(), 'clinfer-tls-'));
  const certFile = join(certDir, 'server.pem');
  const keyFile = join(certDir, 'server.key');

  beforeAll(async () => {
    copyFileSync(pki.serverCert, certFile);
    copyFileSync(pki.serverKey, keyFile);
    tlsServer = await startTestServer(DEMO_MODELS, { tlsCertFile: certFile, tlsKeyFile: keyFile, tlsClientCaFile: pki.ca, tlsClientScopes: ['infer'] });
  });
  afterAll(() => tlsServer?.close());

  const tlsGet = (path: string, client?: { cert: string; key: string }) => new Promise<{ status: number; subject: string; body: string }>((ok, fail) => {
    const req = httpsRequest(`${tlsServer.url}${path}`, { ca: readFileSync(pki.ca), agent: false, ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => ok({ status: res.statusCode!, subject: String((res.socket as TLSSocket).getPeerCertificate().subject.CN), body }));
    });
    req.on('error', fail);
    req.end();
  });

  it('serves HTTPS, and takes a client certificate as the caller identity', async () => {
    expect(tlsServer.url).toMatch(/^https:/);
    const anonymous = await tlsGet('/v2/models/heart-disease-risk');
    expect(anonymous.status).toBe(401);
    const withCert = await tlsGet('/v2/models/heart-disease-risk', { cert: pki.clientCert, key: pki.clientKey });
    expect(withCert.status).toBe(200);
    expect((await tlsGet('/metrics', { cert: pki.clientCert, key: pki.clientKey })).body).toMatch(/caller 'cert:pacs-workstation-7' lacks the 'metrics' scope/);
  });

  it('reloads a rotated certificate without a restart', async () => {
    expect((await tlsGet('/v2/health/live')).subject).toBe('server-1');
    pki.issue('server-2', join(pki.dir, 'rotated'));
    copyFileSync(join(pki.dir, 'rotated.key'), keyFile);
    copyFileSync(join(pki.dir, 'rotated.pem'), certFile);
    let subject = '';
    for (let i = 0; i < 60 && subject !== 'server-2'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      subject = (await tlsGet('/v2/health/live')).subject;
    }
    expect(subject).toBe('server-2');
  });
});
