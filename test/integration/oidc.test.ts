import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/config/load-config.js';
import type { ClinferServer } from '../../runtime/server.js';
import { startTestServer, TempRepository } from '../helpers/server.js';

/**
 * OIDC as a security reviewer tries it: two hospital issuers, each with its JWKS served over loopback
 * HTTP; scopes only through the role map; keys bound to their issuer; token times; an unreachable JWKS.
 */
const EHR_A = 'https://idp.hospital-a.example/realms/clinical';
const EHR_B = 'https://idp.hospital-b.example';
const DEAD = 'https://idp.unreachable.example';
const OPT_IN = 'https://idp.opt-in.example';
const row = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] });

let server: ClinferServer;
let repo: TempRepository;
const keys: Record<string, CryptoKey> = {};
const jwksServers: Server[] = [];

/** A JWKS endpoint on loopback serving the public key of a fresh ES256 pair, kept under `name`. */
async function serveJwks(name: string, kid: string): Promise<string> {
  const pair = await generateKeyPair('ES256');
  keys[name] = pair.privateKey;
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' }] });
  const s = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(body));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  jwksServers.push(s);
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/certs`;
}

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

interface TokenOptions { iss?: string; key?: string; kid?: string; iat?: number; exp?: number; aud?: string }
const token = (claims: Record<string, unknown>, o: TokenOptions = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'a-1' }).setIssuer(o.iss ?? EHR_A).setSubject('u-42')
    .setAudience(o.aud ?? 'clinfer').setIssuedAt(o.iat ?? now).setExpirationTime(o.exp ?? now + 300).setJti(randomUUID()).sign(keys[o.key ?? 'a']!);
};
const call = async (path: string, bearer: string, body?: string) => {
  const res = await fetch(`${server.url}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${bearer}` }, ...(body ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : undefined };
};
const infer = (bearer: string) => call('/v2/models/heart-disease-risk/infer', bearer, row);

beforeAll(async () => {
  const jwksA = await serveJwks('a', 'a-1');
  const jwksB = await serveJwks('b', 'b-1');
  const jwksOptIn = await serveJwks('optin', 'o-1');
  repo = new TempRepository().addDemo('heart-disease-risk');
  server = await startTestServer(repo.root, {
    oidc: [
      { issuer: EHR_A, jwksUri: jwksA, audience: 'clinfer', scopeClaim: 'realm_access.roles', roleScopes: { 'clinfer-clinician': ['infer'] }, maxTokenLifetimeSeconds: 3600, clockSkewSeconds: 30 },
      { issuer: EHR_B, jwksUri: jwksB, audience: 'clinfer', scopeClaim: 'roles', roleScopes: { 'Clinfer.Metrics': ['metrics'] } },
      { issuer: DEAD, jwksUri: `http://127.0.0.1:${await closedPort()}/certs`, audience: 'clinfer' },
      { issuer: OPT_IN, jwksUri: jwksOptIn, audience: 'clinfer', grantClaimValuesAsScopes: true },
    ],
  });
});
afterAll(async () => {
  await server?.close();
  for (const s of jwksServers) await new Promise((r) => s.close(r));
  repo?.remove();
});

describe('scopes come only from the role map', () => {
  it('grants a mapped role its scopes, and only those', async () => {
    const t = await token({ realm_access: { roles: ['clinfer-clinician'] } });
    expect((await infer(t)).status).toBe(200);
    expect((await call('/metrics', t)).status).toBe(403);
  });

  it('grants nothing for unmapped roles literally named like clinfer scopes', async () => {
    const t = await token({ realm_access: { roles: ['admin', 'infer', 'metrics', 'deploy'] }, scope: 'admin infer metrics' });
    const res = await infer(t);
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('FORBIDDEN');
    expect((await call('/metrics', t)).status).toBe(403);
  });

  it('grants scope-named claim values only where the issuer opts in (grantClaimValuesAsScopes)', async () => {
    const t = await token({ scope: 'openid infer' }, { iss: OPT_IN, key: 'optin', kid: 'o-1' });
    expect((await infer(t)).status).toBe(200);
    expect((await call('/metrics', t)).status).toBe(403);
  });

  it('treats role names that are also object properties as plain unmapped names (403, not 500)', async () => {
    const t = await token({ realm_access: { roles: ['constructor', '__proto__', 'toString'] } });
    expect((await infer(t)).status).toBe(403);
  });

  it('reads each issuer with its own claim and map', async () => {
    const t = await token({ roles: ['Clinfer.Metrics'] }, { iss: EHR_B, key: 'b', kid: 'b-1' });
    expect((await call('/metrics', t)).status).toBe(200);
    expect((await infer(t)).status).toBe(403);
  });
});

describe('each key is bound to its issuer', () => {
  it.each([
    ["signed by A's key, claiming B's issuer", { iss: EHR_B, key: 'a', kid: 'a-1' }],
    ["signed by A's key under B's key id, claiming B's issuer", { iss: EHR_B, key: 'a', kid: 'b-1' }],
    ["signed by B's key, claiming A's issuer", { iss: EHR_A, key: 'b', kid: 'b-1' }],
  ])('refuses a token %s (401)', async (_what, o) => {
    const res = await infer(await token({ realm_access: { roles: ['clinfer-clinician'] }, roles: ['Clinfer.Metrics'] }, o));
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an issuer that is not configured, naming the claim', async () => {
    const res = await infer(await token({ realm_access: { roles: ['clinfer-clinician'] } }, { iss: 'https://evil.example' }));
    expect(res.status).toBe(401);
    expect(res.json.error).toMatch(/claim 'iss'/);
  });
});

describe('token times', () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ["'iat' 10 minutes in the future", () => ({ iat: now() + 600, exp: now() + 900 }), /'iat' is in the future/],
    ['a lifetime over maxTokenLifetimeSeconds (2 h > 1 h)', () => ({ iat: now() - 60, exp: now() + 7140 }), /maxTokenLifetimeSeconds 3600/],
  ])('refuses %s', async (_what, times, message) => {
    const res = await infer(await token({ realm_access: { roles: ['clinfer-clinician'] } }, times()));
    expect(res.status).toBe(401);
    expect(res.json.error).toMatch(message);
  });

  it("accepts 'iat' slightly ahead, within clockSkewSeconds, and a lifetime at the maximum", async () => {
    const t = await token({ realm_access: { roles: ['clinfer-clinician'] } }, { iat: now() + 10, exp: now() + 3610 });
    expect((await infer(t)).status).toBe(200);
  });

  it("refuses a token without 'iat'", async () => {
    const t = await new SignJWT({ realm_access: { roles: ['clinfer-clinician'] } }).setProtectedHeader({ alg: 'ES256', kid: 'a-1' })
      .setIssuer(EHR_A).setSubject('u-42').setAudience('clinfer').setExpirationTime('5m').sign(keys.a!);
    const res = await infer(t);
    expect(res.status).toBe(401);
    expect(res.json.error).toMatch(/'iat'/);
  });
});

describe('an unreachable key set', () => {
  it('answers 503 AUTH_UNAVAILABLE, not a verdict on the token', async () => {
    const res = await infer(await token({}, { iss: DEAD }));
    expect(res.status).toBe(503);
    expect(res.json.code).toBe('AUTH_UNAVAILABLE');
    expect(res.json.error).toMatch(/JWKS.*could not be reached/);
  });
});

describe('configuration', () => {
  it('accepts one issuer object as before, and refuses two entries with the same issuer', () => {
    const one = parseConfig({ oidc: { issuer: EHR_A, jwksUri: 'https://idp.example/certs' } });
    expect(one.oidc).toHaveLength(1);
    expect(one.oidc![0]!.grantClaimValuesAsScopes).toBe(false);
    expect(() => parseConfig({ oidc: [{ issuer: EHR_A, jwksUri: 'https://a/certs' }, { issuer: EHR_A, jwksFile: '/x.json' }] })).toThrow(/'oidc': two entries have the same issuer/);
  });
});
