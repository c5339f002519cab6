import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { credentials as grpcCredentials, Metadata, status as grpcStatus } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirementOf } from '../../runtime/auth/access.js';
import type { Scope } from '../../runtime/config/access-vocabulary.js';
import { GRPC_ACCESS } from '../../runtime/grpc/grpc-access.js';
import { loadInferenceProto } from '../../runtime/grpc/grpc-server.js';
import { listRoutes, type ListedRoute } from '../../runtime/http/route-list.js';
import type { ClinferServer } from '../../runtime/server.js';
import { appForDocs, renderAccessTable, SECURITY_MD, withAccessTable } from '../../tools/access-table.js';
import { makePki } from '../helpers/pki.js';
import { grpcTestClient } from '../helpers/grpc-client.js';
import { startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Who may do what, walked exhaustively: every route registered on the router (read from express's own
 * stack, so a new route cannot be forgotten) x every kind of credential x path variants that a
 * case-insensitive or slash-forgiving router would have matched. Every outcome is the documented one:
 * the route's declared access decides, and a path variant matches no route at all.
 */

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const ISSUER = 'https://idp.hospital.example/realms/clinical';
const KEYS = { infer: 'clk_ac_infer', admin: 'clk_ac_admin', deploy: 'clk_ac_deploy', metrics: 'clk_ac_metrics' } as const;
const pki = makePki();
const repo = new TempRepository().addDemo('heart-disease-risk').addDemo('chest-xray-pneumonia');

interface Credential {
  readonly name: string;
  /** The scopes it must be granted; undefined: it must not authenticate at all. */
  readonly scopes: readonly Scope[] | undefined;
  headers: Record<string, string>;
  readonly cert?: boolean;
}

const credentials: Credential[] = [
  { name: 'none', scopes: undefined, headers: {} },
  { name: 'unknown API key', scopes: undefined, headers: { authorization: 'Bearer clk_not_a_key' } },
  { name: 'malformed Authorization', scopes: undefined, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } },
  { name: "API key 'infer'", scopes: ['infer'], headers: { authorization: `Bearer ${KEYS.infer}` } },
  { name: "API key 'admin'", scopes: ['admin'], headers: { authorization: `Bearer ${KEYS.admin}` } },
  { name: "API key 'deploy'", scopes: ['deploy'], headers: { authorization: `Bearer ${KEYS.deploy}` } },
  { name: "API key 'metrics'", scopes: ['metrics'], headers: { authorization: `Bearer ${KEYS.metrics}` } },
  // Filled in beforeAll: a clinician's token whose IdP roles include one literally named 'admin' (unmapped).
  { name: 'OIDC clinician token', scopes: ['infer'], headers: {} },
  { name: 'OIDC token of a foreign issuer', scopes: undefined, headers: {} },
  { name: 'client certificate', scopes: ['infer'], headers: {}, cert: true },
];

let server: ClinferServer;

/** One keep-alive TLS agent per credential kind (with or without the client certificate). */
const agents = new Map<boolean, Agent>();
const agentFor = (cert: boolean) => {
  if (!agents.has(cert)) agents.set(cert, new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(pki.ca), ...(cert ? { cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) } : {}) }));
  return agents.get(cert)!;
};

/** A raw HTTPS request: the path is sent exactly as given (no URL normalisation on the way). */
function send(method: string, path: string, credential: Credential, body?: Buffer): Promise<{ status: number; json: any }> {
  const url = new URL(server.url);
  return new Promise((ok, fail) => {
    const req = httpsRequest({
      host: url.hostname, port: url.port, method, path, agent: agentFor(credential.cert === true),
      headers: { ...credential.headers, ...(body ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        ok({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** A concrete path for a declared route: demo models for inference, a missing model for model control. */
function concrete(route: ListedRoute): string {
  const control = route.declaration?.plane === 'control';
  const path = route.method === 'USE' ? `${route.path}/index.html` : route.path;
  return path
    .replace(':model', control ? 'no-such-model' : 'heart-disease-risk')
    .replace(':version', '1')
    .replace(':file', 'bundle.json')
    .replace(':study', '1.2.3')
    .replace(':id', 'no-such-service');
}

const SETTINGS = { publicPaths: ['/v2/health/live', '/v2/health/ready'], cdsHooksOwnAuth: false };

/** The documented outcome: 'pass' (the route's handler ran), or 401/403 from the guard. */
function expected(route: ListedRoute, credential: Credential): 'pass' | 401 | 403 {
  const need = requirementOf(route.declaration!.access, SETTINGS);
  if (need.kind === 'none') return 'pass';
  if (credential.scopes === undefined) return 401;
  return need.kind === 'scope' && need.anyOf.some((s) => credential.scopes!.includes(s)) ? 'pass' : 403;
}

/** Spellings of a path that a forgiving router would match; clinfer's matches none of them. */
function variants(path: string): Record<string, string> {
  const segments = path.split('/');
  const literal = segments.findIndex((s, i) => i > 0 && /^[a-z]/.test(s));
  const encodedLetter = [...segments];
  encodedLetter[literal] = `%${segments[literal]!.charCodeAt(0).toString(16)}${segments[literal]!.slice(1)}`;
  const mixed = segments.map((s, i) => (i === literal ? s[0]!.toUpperCase() + s.slice(1) : s)).join('/');
  const [first, ...rest] = segments.slice(1);
  return {
    'upper case': path.toUpperCase(),
    'mixed case': mixed,
    'trailing slash': `${path}/`,
    'double slash': `/${first}//${rest.join('/')}`,
    'leading double slash': `/${path}`,
    'percent-encoded letter': encodedLetter.join('/'),
    'percent-encoded slash': rest.length ? `/${first}%2F${rest.join('/')}` : `${path}%2F`,
    'dot segment': `/${first}/./${rest.join('/')}`,
    'dot-dot segment': `/${first}/x/../${rest.join('/')}`,
  };
}

beforeAll(async () => {
  const idp = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('ES256');
  const jwksFile = join(pki.dir, 'idp-jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(idp.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] }));
  const sign = (key: Parameters<SignJWT['sign']>[0], iss: string, roles: string[]) => new SignJWT({ realm_access: { roles } })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' }).setIssuer(iss).setSubject('dr-who').setAudience('clinfer')
    .setIssuedAt().setExpirationTime('5m').setJti(randomUUID()).sign(key);
  credentials.find((c) => c.name === 'OIDC clinician token')!.headers = { authorization: `Bearer ${await sign(idp.privateKey, ISSUER, ['clinfer-clinician', 'admin', 'deploy', 'metrics'])}` };
  credentials.find((c) => c.name === 'OIDC token of a foreign issuer')!.headers = { authorization: `Bearer ${await sign(stranger.privateKey, ISSUER, ['clinfer-clinician'])}` };
  server = await startTestServer(repo.root, {
    workers: 1,
    tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey, tlsClientCaFile: pki.ca, tlsClientScopes: ['infer'],
    apiKeys: [
      { name: 'pacs-router', sha256: sha(KEYS.infer), scopes: ['infer'] },
      { name: 'mlops-admin', sha256: sha(KEYS.admin), scopes: ['admin'] },
      { name: 'mlops-deploy', sha256: sha(KEYS.deploy), scopes: ['deploy'] },
      { name: 'prometheus', sha256: sha(KEYS.metrics), scopes: ['metrics'] },
    ],
    oidc: { issuer: ISSUER, jwksFile, audience: 'clinfer', scopeClaim: 'realm_access.roles', roleScopes: { 'clinfer-clinician': ['infer'] } },
  });
}, 120_000);

afterAll(async () => {
  for (const agent of agents.values()) agent.destroy();
  await server?.close();
  repo.remove();
});

describe('every HTTP route x every credential', () => {
  it('reads every route from the router, each with a declared access rule', () => {
    const routes = listRoutes(appForDocs());
    expect(routes.length).toBeGreaterThan(25);
    expect(routes.filter((r) => !r.declaration).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // The model control routes are all declared as such, each needing admin or deploy.
    const control = routes.filter((r) => r.path.startsWith('/v2/repository/models'));
    expect(control.length).toBe(8);
    for (const r of control) expect(r.declaration).toMatchObject({ plane: 'control', access: { kind: 'scopes' } });
    for (const r of control) expect((r.declaration!.access as unknown as { anyOf: Scope[] }).anyOf).not.toContain('infer');
  });

  it('answers each route as its declaration says, for each credential', async () => {
    const routes = listRoutes(appForDocs());
    const wrong: string[] = [];
    for (const route of routes) {
      const method = route.method === 'USE' ? 'GET' : route.method;
      for (const credential of credentials) {
        const body = method === 'POST' || method === 'PUT' ? Buffer.alloc(0) : undefined;
        const res = await send(method, concrete(route), credential, body);
        const want = expected(route, credential);
        const got = res.status === 401 ? 401 : res.status === 403 && res.json?.code === 'FORBIDDEN' ? 403 : 'pass';
        if (got !== want) wrong.push(`${method} ${route.path} with ${credential.name}: ${res.status} ${res.json?.code ?? ''}, expected ${want}`);
        if (want === 401) expect(res.json?.code).toBe('UNAUTHENTICATED');
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('matches no route for a path variant: 401 without valid credentials, 404 with them, never the handler', async () => {
    const routes = listRoutes(appForDocs()).filter((r) => r.method !== 'USE');
    const wrong: string[] = [];
    for (const route of routes) {
      for (const [kind, path] of Object.entries(variants(concrete(route)))) {
        for (const credential of credentials) {
          const res = await send(route.method, path, credential, route.method === 'POST' || route.method === 'PUT' ? Buffer.alloc(0) : undefined);
          const want = credential.scopes === undefined ? 401 : 404;
          if (res.status !== want || (want === 404 && res.json?.code !== 'ROUTE_NOT_FOUND')) wrong.push(`${route.method} ${path} (${kind}) with ${credential.name}: ${res.status} ${res.json?.code ?? ''}, expected ${want}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it('keeps the case and slash variants of the reported escalation shut (infer key, admin routes, /metrics)', async () => {
    const infer = credentials.find((c) => c.name === "API key 'infer'")!;
    for (const [method, path] of [['POST', '/V2/REPOSITORY/models/heart-disease-risk/unload'], ['POST', '/v2/Repository/models/heart-disease-risk/unload'], ['GET', '/metrics/'], ['GET', '/METRICS'], ['DELETE', '/v2/repository/models/heart-disease-risk/versions/1/']] as const) {
      const res = await send(method, path, infer);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // The model is still served.
    const ready = await send('GET', '/v2/models/heart-disease-risk/ready', infer);
    expect(ready.status).toBe(200);
  });
});

describe('gRPC: every method x every credential', () => {
  const proto = loadInferenceProto();
  const request: Record<string, unknown> = {
    ServerLive: {}, ServerReady: {}, ServerMetadata: {},
    ModelReady: { name: 'heart-disease-risk', version: '' },
    ModelMetadata: { name: 'heart-disease-risk', version: '' },
    ModelInfer: { model_name: 'heart-disease-risk', model_version: '', inputs: [] },
    ModelConfig: { name: 'heart-disease-risk', version: '' },
    ModelStatistics: { name: '', version: '' },
    RepositoryIndex: { ready: true },
    // A missing model: the admin key passes authorisation and unloads nothing.
    RepositoryModelLoad: { model_name: 'no-such-model' },
    RepositoryModelUnload: { model_name: 'no-such-model' },
    ModelStreamInfer: { model_name: 'no-such-model', model_version: '', inputs: [] },
  };
  /** A unary call's status, or a stream's (one request written, then the stream's final status). */
  const callStatus = (client: Record<string, Function>, method: string, metadata: Metadata) => new Promise<number>((ok) => {
    if (!(proto.service as Record<string, { requestStream: boolean }>)[method]!.requestStream) {
      client[method]!(request[method], metadata, (error: { code: number } | null) => ok(error ? error.code : grpcStatus.OK));
      return;
    }
    const stream = client[method]!(metadata);
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    stream.on('status', (s: { code: number }) => ok(s.code));
    stream.write(request[method]);
    stream.end();
  });

  it('declares every method of the service, and answers each as declared', async () => {
    const methods = Object.keys(proto.service);
    const served = methods.filter((m) => m in GRPC_ACCESS);
    expect(served.sort()).toEqual(Object.keys(GRPC_ACCESS).sort());
    const wrong: string[] = [];
    for (const credential of credentials) {
      const channel = credential.cert
        ? grpcCredentials.createSsl(readFileSync(pki.ca), readFileSync(pki.clientKey), readFileSync(pki.clientCert))
        : grpcCredentials.createSsl(readFileSync(pki.ca));
      const client = grpcTestClient(server.grpcAddress!, { channelCredentials: channel });
      for (const method of served) {
        const metadata = new Metadata();
        if (credential.headers.authorization) metadata.set('authorization', credential.headers.authorization);
        const code = await callStatus(client.raw, method, metadata);
        const need = requirementOf(GRPC_ACCESS[method]!, SETTINGS);
        const want = need.kind === 'none' ? 'pass' : credential.scopes === undefined ? grpcStatus.UNAUTHENTICATED
          : need.kind === 'scope' && need.anyOf.some((s) => credential.scopes!.includes(s)) ? 'pass' : grpcStatus.PERMISSION_DENIED;
        const got = code === grpcStatus.UNAUTHENTICATED || code === grpcStatus.PERMISSION_DENIED ? code : 'pass';
        if (got !== want) wrong.push(`${method} with ${credential.name}: ${grpcStatus[code]}, expected ${typeof want === 'number' ? grpcStatus[want] : want}`);
      }
      client.close();
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});

describe('README', () => {
  it("shows a secure configuration that clinfer accepts as it stands, with model control off and signed bundles only", async () => {
    const { parseConfig } = await import('../../runtime/config/load-config.js');
    const md = readFileSync(join(SECURITY_MD, '../README.md'), 'utf8');
    const at = md.indexOf('```json', md.indexOf('The secure configuration in one block'));
    const documented = JSON.parse(md.slice(at + 7, md.indexOf('```', at + 7)));
    // Key files are read with the configuration: a generated key stands in for the operator's own file.
    const keyFile = join(mkdtempSync(join(tmpdir(), 'clinfer-readme-')), 'mlops-signing.pub.pem');
    writeFileSync(keyFile, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const config = parseConfig({ ...documented, trustedKeys: documented.trustedKeys.map(() => keyFile) });
    expect(config).toMatchObject({ modelControlMode: 'none', host: '0.0.0.0', auditFailurePolicy: 'refuse' });
    expect(config.trustedKeys.length).toBe(1);
    expect(config.tlsCertFile && config.tlsClientCaFile && config.auditKeyFile).toBeTruthy();
  });
});

describe('SECURITY.md', () => {
  it('shows the table generated from the route declarations (run tools/access-table.ts --write after changing a route)', () => {
    const markdown = readFileSync(SECURITY_MD, 'utf8');
    expect(withAccessTable(markdown, renderAccessTable())).toBe(markdown);
  });
});

describe('model control: off, or on an admin listener of its own', () => {
  const admin = { authorization: `Bearer ${KEYS.admin}` };
  const deploy = { authorization: `Bearer ${KEYS.deploy}` };
  const keys = [
    { name: 'mlops-admin', sha256: sha(KEYS.admin), scopes: ['admin' as const] },
    { name: 'mlops-deploy', sha256: sha(KEYS.deploy), scopes: ['deploy' as const] },
    { name: 'pacs-router', sha256: sha(KEYS.infer), scopes: ['infer' as const] },
  ];
  const post = async (url: string, headers: Record<string, string>, method = 'POST') => {
    const res = await fetch(url, { method, headers });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as any };
  };

  it('modelControlMode "none" refuses every model control call with MODEL_CONTROL_DISABLED, and still serves', async () => {
    const local = await startTestServer(repo.root, { workers: 1, grpcPort: -1, modelControlMode: 'none', apiKeys: keys });
    try {
      const unload = await post(`${local.url}/v2/repository/models/heart-disease-risk/unload`, admin);
      expect(unload.status).toBe(403);
      expect(unload.json).toMatchObject({ code: 'MODEL_CONTROL_DISABLED', error: expect.stringMatching(/modelControlMode/) });
      expect((await post(`${local.url}/v2/repository/models/heart-disease-risk/versions/1`, deploy, 'DELETE')).json.code).toBe('MODEL_CONTROL_DISABLED');
      // Authentication still comes first: an infer key learns nothing more than before.
      expect((await post(`${local.url}/v2/repository/models/heart-disease-risk/unload`, { authorization: `Bearer ${KEYS.infer}` })).json.code).toBe('FORBIDDEN');
      expect((await post(`${local.url}/v2/repository/index`, admin)).status).toBe(200);
      expect((await fetch(`${local.url}/v2/models/heart-disease-risk/ready`, { headers: { authorization: `Bearer ${KEYS.infer}` } })).status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('an admin listener alone serves model control; it serves no inference', async () => {
    const local = await startTestServer(repo.root, { workers: 1, grpcPort: -1, adminListener: { port: 0 }, apiKeys: keys });
    try {
      expect(local.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(local.adminUrl).not.toBe(local.url);
      const onApi = await post(`${local.url}/v2/repository/models/no-such-model/load`, admin);
      expect(onApi).toMatchObject({ status: 403, json: { code: 'MODEL_CONTROL_DISABLED', error: expect.stringMatching(/admin listener/) } });
      const onAdmin = await post(`${local.adminUrl}/v2/repository/models/no-such-model/load`, admin);
      expect(onAdmin.json.code).toBe('MODEL_NOT_FOUND');
      expect((await post(`${local.adminUrl}/v2/repository/models/heart-disease-risk/unload`, admin)).status).toBe(200);
      expect((await post(`${local.adminUrl}/v2/repository/models/heart-disease-risk/load`, admin)).status).toBe(200);
      const infer = await post(`${local.adminUrl}/v2/models/heart-disease-risk/infer`, { authorization: `Bearer ${KEYS.infer}` });
      expect(infer).toMatchObject({ status: 404, json: { code: 'ROUTE_NOT_FOUND' } });
      expect((await fetch(`${local.adminUrl}/v2/health/ready`)).status).toBe(200);
    } finally {
      await local.close();
    }
  }, 60_000);

  it('refuses an admin listener together with modelControlMode "none", or on the API port', async () => {
    const { parseConfig } = await import('../../runtime/config/load-config.js');
    expect(() => parseConfig({ modelControlMode: 'none', adminListener: { port: 9000 } })).toThrow(/adminListener/);
    expect(() => parseConfig({ port: 9000, adminListener: { port: 9000 } })).toThrow(/adminListener.port/);
    expect(() => parseConfig({ publicPaths: ['/v2/repository/index'] })).toThrow(/publicPaths/);
  });
});

describe('refused access is on record, without flooding the audit log', () => {
  it('writes access-denied entries per source up to the per-minute budget, then one suppressed count; gRPC too', async () => {
    const auditLog = join(mkdtempSync(join(tmpdir(), 'clinfer-ac-audit-')), 'audit.jsonl');
    const local = await startTestServer(repo.root, {
      workers: 1, auditLog, auditAccessDeniedPerMinute: 5,
      apiKeys: [{ name: 'pacs-router', sha256: sha(KEYS.infer), scopes: ['infer'] }],
    });
    try {
      const statuses = new Set<number>();
      for (let i = 0; i < 300; i++) statuses.add((await fetch(`${local.url}/v2/models/heart-disease-risk/ready`)).status);
      const forbidden = await fetch(`${local.url}/v2/repository/models/heart-disease-risk/unload`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.infer}` } });
      expect([...statuses]).toEqual([401]);
      expect(forbidden.status).toBe(403);
      const client = grpcTestClient(local.grpcAddress!);
      const refused = await client.rpcError('ModelInfer', { model_name: 'heart-disease-risk', inputs: [] }).finally(() => client.close());
      expect(refused.code).toBe(grpcStatus.UNAUTHENTICATED);
    } finally {
      await local.close();
    }
    const entries = readFileSync(auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const denied = entries.filter((e) => e.action === 'access_denied');
    // 5 written for 127.0.0.1 in this minute (the 403 and the gRPC call among the suppressed or written), never 300.
    expect(denied.length).toBe(5);
    expect(denied[0]).toMatchObject({ caller: 'unauthenticated', outcome: 'UNAUTHENTICATED', status: 401, transport: 'http', method: 'GET', route: '/v2/models/:model/ready' });
    const suppressed = entries.filter((e) => e.action === 'access_denied_suppressed');
    expect(suppressed.reduce((n, e) => n + e.suppressed, 0)).toBe(300 + 1 + 1 - 5);
  }, 60_000);
});
