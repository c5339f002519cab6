import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/config/load-config.js';
import type { ClinferServer } from '../../runtime/server.js';
import { metricValue } from '../helpers/metrics.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * CDS Hooks 2.0 against the heart-disease demo bundle: discovery, cards from prefetch or from the EHR's
 * FHIR server, 412 when neither, feedback, and client JWT authentication.
 */
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'fhir/two-patients.json'), 'utf8'));
const resourcesOf = (pid: string) => fixture.entry.map((e: any) => e.resource).filter((r: any) => r.id === pid || r.subject?.reference === `Patient/${pid}`);
const patientA = resourcesOf('a').find((r: any) => r.resourceType === 'Patient');
const observationsA = { resourceType: 'Bundle', type: 'searchset', entry: resourcesOf('a').filter((r: any) => r.resourceType === 'Observation').map((resource: any) => ({ resource })) };
// The fixture's observations are from autumn 2026; CDS Hooks uses the current time, so move them to "now".
for (const e of observationsA.entry) e.resource.effectiveDateTime = new Date(Date.now() - 86_400_000).toISOString();

let server: ClinferServer;
let fhir: Server;
let fhirUrl: string;
const fhirRequests: { url: string; authorization: string | undefined }[] = [];

const hookRequest = (extra: object = {}) => ({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'a' }, ...extra });
const call = async (path: string, body: unknown, headers: Record<string, string> = {}, base = server.url) => {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
};

/** Checks a card against the CDS Hooks 2.0 rules (required fields, lengths, enums, no empty values). */
function expectValidCard(card: any) {
  expect(typeof card.summary).toBe('string');
  expect(card.summary.length).toBeGreaterThan(0);
  expect(card.summary.length).toBeLessThan(140);
  expect(['info', 'warning', 'critical']).toContain(card.indicator);
  expect(typeof card.source.label).toBe('string');
  expect(card.source.label.length).toBeGreaterThan(0);
  if (card.uuid !== undefined) expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
  for (const [k, v] of Object.entries(card)) expect(v === null || v === '' || (Array.isArray(v) && v.length === 0), k).toBe(false);
}

beforeAll(async () => {
  // The EHR's FHIR server (a loopback HTTP peer serving the fixture; no FHIR server package runs here).
  fhir = createServer((req, res) => {
    fhirRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/fhir+json');
    if (req.url === '/fhir/Patient/a') return void res.end(JSON.stringify(patientA));
    if (req.url?.startsWith('/fhir/Observation?patient=a&combo-code=')) return void res.end(JSON.stringify(observationsA));
    res.statusCode = 404;
    res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }));
  });
  await new Promise<void>((r) => fhir.listen(0, '127.0.0.1', r));
  fhirUrl = `http://127.0.0.1:${(fhir.address() as AddressInfo).port}/fhir`;
  server = await startTestServer(DEMO_MODELS, { cdsHooksFhirServers: [fhirUrl] });
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => fhir?.close(r));
});

describe('discovery', () => {
  it('lists one service per tabular bundle with a hook, with prefetch for exactly its data', async () => {
    const res = await fetch(`${server.url}/cds-services`);
    expect(res.status).toBe(200);
    const { services } = (await res.json()) as any;
    const s = services.find((x: any) => x.id === 'heart-disease-risk');
    expect(s).toMatchObject({ id: 'heart-disease-risk', hook: 'patient-view', title: expect.any(String), description: expect.any(String) });
    expect(Object.keys(s.prefetch).sort()).toEqual(['observations', 'patient']);
    expect(s.prefetch.patient).toBe('Patient/{{context.patientId}}');
    // combo-code: Observation.code or a component's code (systolic pressure inside a blood-pressure panel).
    expect(s.prefetch.observations).toMatch(/^Observation\?patient=\{\{context\.patientId\}\}&combo-code=/);
    for (const code of ['http://loinc.org|8480-6', 'http://loinc.org|2093-3', 'http://loinc.org|14647-2', 'http://loinc.org|1558-6']) expect(s.prefetch.observations).toContain(code);
  });
});

describe('a service call', () => {
  it('answers a card from prefetched data', async () => {
    const { status, json } = await call('/cds-services/heart-disease-risk', hookRequest({ prefetch: { patient: patientA, observations: observationsA } }), { 'accept-language': 'de' });
    expect(status).toBe(200);
    expect(json.cards).toHaveLength(1);
    const card = json.cards[0];
    expectValidCard(card);
    expect(card.summary).toMatch(/^Herzerkrankung Risiko: \d+%$/);
    expect(card.detail).toMatch(/\| Merkmal \| Wert \| Effekt \|/);
    expect(card.source.url).toMatch(/\/v2\/models\/heart-disease-risk\/versions\/1$/);
    const pct = Number(card.summary.match(/(\d+)%/)[1]);
    expect(card.indicator).toBe(pct >= 80 ? 'critical' : pct >= 50 ? 'warning' : 'info');
  });

  it('fetches what was not prefetched from the FHIR server, with the bearer token', async () => {
    fhirRequests.length = 0;
    const { status, json } = await call('/cds-services/heart-disease-risk', hookRequest({ fhirServer: fhirUrl, fhirAuthorization: { access_token: 'tok-123', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cds' } }));
    expect(status).toBe(200);
    expectValidCard(json.cards[0]);
    expect(fhirRequests.map((r) => r.url.split('&')[0])).toEqual(['/fhir/Patient/a', '/fhir/Observation?patient=a']);
    expect(fhirRequests.every((r) => r.authorization === 'Bearer tok-123')).toBe(true);
    const prefetched = await call('/cds-services/heart-disease-risk', hookRequest({ prefetch: { patient: patientA, observations: observationsA } }));
    expect(json.cards[0].summary).toBe(prefetched.json.cards[0].summary);
  });

  it('refuses a fhirServer that is not on cdsHooksFhirServers (403), before any request leaves', async () => {
    // Another loopback listener stands for anything the EHR's token must never reach.
    const hits: string[] = [];
    const canary = createServer((req, res) => { hits.push(req.url ?? ''); res.end('{}'); });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    const port = (fhir.address() as AddressInfo).port;
    try {
      fhirRequests.length = 0;
      for (const fhirServer of [
        `${server.url}/metrics`, server.url, `http://127.0.0.1:${(canary.address() as AddressInfo).port}/fhir`,
        `${fhirUrl}/../metrics`, `${fhirUrl}/%2e%2e/metrics`, `${fhirUrl}evil`, `http://user:pw@127.0.0.1:${port}/fhir`,
        `https://127.0.0.1:${port}/fhir`, `http://localhost:${port}/fhir`, `${fhirUrl}?x=1`, 'not a url',
      ]) {
        const res = await call('/cds-services/heart-disease-risk', hookRequest({ fhirServer, fhirAuthorization: { access_token: 'tok-secret' } }));
        expect(res.status, fhirServer).toBe(403);
        expect(res.json.code, fhirServer).toBe('FHIR_SERVER_NOT_ALLOWED');
      }
      expect(hits).toEqual([]);
      expect(fhirRequests).toEqual([]);
      // Under the allowed base (a sub-path) is allowed.
      const under = await call('/cds-services/heart-disease-risk', hookRequest({ fhirServer: `${fhirUrl}/`, prefetch: { patient: patientA, observations: observationsA } }));
      expect(under.status).toBe(200);
    } finally {
      await new Promise((r) => canary.close(r));
    }
  });

  it('answers 412 when a prefetch key is missing and there is no FHIR server', async () => {
    const { status, json } = await call('/cds-services/heart-disease-risk', hookRequest({ prefetch: { patient: patientA } }));
    expect(status).toBe(412);
    expect(json).toMatchObject({ code: 'PREFETCH_UNAVAILABLE', error: expect.stringMatching(/prefetch 'observations' was not sent/) });
  });

  it('answers no card for a patient the EHR does not have (prefetch null)', async () => {
    const { status, json } = await call('/cds-services/heart-disease-risk', hookRequest({ prefetch: { patient: null, observations: null } }));
    expect(status).toBe(200);
    expect(json).toEqual({ cards: [] });
  });

  it.each([
    [hookRequest({ hook: 'order-select' }), 400, /'hook' must be 'patient-view'/],
    [{ hook: 'patient-view', context: { patientId: 'a' } }, 400, /'hookInstance'/],
    [hookRequest({ context: {} }), 400, /'context.patientId' is required/],
  ])('refuses a malformed request (%#)', async (body, status, message) => {
    const res = await call('/cds-services/heart-disease-risk', body);
    expect(res.status).toBe(status);
    expect(res.json.error).toMatch(message);
  });

  it('answers 404 for an unknown service', async () => {
    expect((await call('/cds-services/nope', hookRequest())).status).toBe(404);
  });
});

describe('feedback', () => {
  it('is accepted and counted, and malformed feedback is refused', async () => {
    const ok = await call('/cds-services/heart-disease-risk/feedback', { feedback: [{ card: randomUUID(), outcome: 'accepted', acceptedSuggestions: [], outcomeTimestamp: new Date().toISOString() }, { card: randomUUID(), outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] });
    expect(ok.status).toBe(200);
    expect(await metricValue(server.url, 'clinfer_cds_feedback_total', { service: 'heart-disease-risk', outcome: 'accepted' })).toBe(1);
    expect(await metricValue(server.url, 'clinfer_cds_feedback_total', { service: 'heart-disease-risk', outcome: 'overridden' })).toBe(1);
    const bad = await call('/cds-services/heart-disease-risk/feedback', { feedback: [{ card: 'x', outcome: 'ignored' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/feedback\[0\] needs/);
  });
});

describe('client authentication (JWT, ES384)', () => {
  let secured: ClinferServer;
  let sign: (claims: { aud?: string; iss?: string; exp?: string; jti?: string }) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES384');
    const dir = mkdtempSync(join(tmpdir(), 'clinfer-jwks-'));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'ehr-1', alg: 'ES384', use: 'sig' }] }));
    secured = await startTestServer(DEMO_MODELS, { cdsHooksJwksFile: join(dir, 'jwks.json'), cdsHooksIssuers: ['https://ehr.example.org'], publicUrl: 'https://cds.example.org' });
    sign = (c) => new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: 'ehr-1', typ: 'JWT' })
      .setIssuer(c.iss ?? 'https://ehr.example.org').setAudience(c.aud ?? 'https://cds.example.org/cds-services/heart-disease-risk')
      .setIssuedAt().setExpirationTime(c.exp ?? '5m').setJti(c.jti ?? randomUUID()).sign(privateKey);
  });
  afterAll(() => secured?.close());

  const body = () => hookRequest({ prefetch: { patient: patientA, observations: observationsA } });

  it('accepts a valid token and refuses a replay of it', async () => {
    const token = await sign({});
    expect((await call('/cds-services/heart-disease-risk', body(), { authorization: `Bearer ${token}` }, secured.url)).status).toBe(200);
    const replay = await call('/cds-services/heart-disease-risk', body(), { authorization: `Bearer ${token}` }, secured.url);
    expect(replay.status).toBe(401);
    expect(replay.json.error).toMatch(/'jti' was already used/);
  });

  it.each([
    ['no token', async () => undefined, /need an Authorization: Bearer/],
    ['another audience', () => sign({ aud: 'https://cds.example.org/cds-services/other' }), /claim 'aud' is not accepted/],
    ['another issuer', () => sign({ iss: 'https://evil.example' }), /claim 'iss' is not accepted/],
    ['an expired token', () => sign({ exp: '-1m' }), /has expired/],
    ['a tampered token', async () => `${(await sign({})).slice(0, -4)}AAAA`, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
  ])('refuses %s with 401', async (_what, token, message) => {
    const t = await token();
    const res = await call('/cds-services/heart-disease-risk', body(), t ? { authorization: `Bearer ${t}` } : {}, secured.url);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'UNAUTHENTICATED', error: expect.stringMatching(message) });
  });

  it('protects discovery too', async () => {
    expect((await fetch(`${secured.url}/cds-services`)).status).toBe(401);
  });

  it('checks the token before it reads the body, and reads it within cdsHooksMaxBodyBytes', async () => {
    const post = async (payload: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${secured.url}/cds-services/heart-disease-risk`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
      return { status: res.status, json: (await res.json()) as any };
    };
    // Not JSON and over the limit: an anonymous caller learns neither, it is refused first.
    expect((await post('{ not json')).status).toBe(401);
    expect((await post(`"${'x'.repeat(9 * 1024 * 1024)}"`)).status).toBe(401);
    const big = await post(`"${'x'.repeat(9 * 1024 * 1024)}"`, { authorization: `Bearer ${await sign({})}` });
    expect(big.status).toBe(413);
    expect((await post('{ not json', { authorization: `Bearer ${await sign({})}` })).status).toBe(400);
  });

  it('refuses to start without publicUrl: the audience is never taken from the Host header', () => {
    expect(() => parseConfig({ cdsHooksJwksFile: '/etc/clinfer/ehr-jwks.json', cdsHooksIssuers: ['https://ehr.example.org'] })).toThrow(/configuration field 'publicUrl'/);
  });
});
