import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../runtime/config/config-schema.js';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * Write-back of RiskAssessments to the EHR's FHIR server (fhirWriteBack), against a small FHIR server of our
 * own on loopback: a SMART Backend Services token endpoint that verifies the client assertion with the
 * registered public key, and a RiskAssessment endpoint that requires its bearer token and honours
 * If-None-Exist (conditional create), recording what it got.
 */
const AT = '2026-11-15T00:00:00Z';
const CLIENT_ID = 'clinfer-edge-7';
const KEY_ID = 'clinfer-key-1';
const PATIENT_NAME = 'Marguerite Quellenberg';
const twoPatients = JSON.parse(readFileSync(join(FIXTURES, 'fhir/two-patients.json'), 'utf8'));
// A name and a birth date that must never reach a log line.
twoPatients.entry[0].resource.name = [{ family: 'Quellenberg', given: ['Marguerite'], text: PATIENT_NAME }];
const patientB = { ...twoPatients, entry: twoPatients.entry.filter((e: any) => e.resource.id?.startsWith('b')) };

/** The EHR side: token endpoint + FHIR RiskAssessment endpoint, with switches to misbehave. */
class TestEhr {
  readonly stored: { resource: any; identifier: string }[] = [];
  readonly posts: { identifier: string; authorization: string | undefined; ifNoneExist: string | undefined }[] = [];
  readonly assertions: { header: any; claims: any }[] = [];
  readonly tokenRefusals: string[] = [];
  readonly #tokens = new Set<string>();
  readonly #jtis = new Set<string>();
  #server: Server;
  port = 0;
  registeredKey: CryptoKey;
  /** Store the next POST, then drop the connection before answering. */
  dropNextAnswer = false;

  constructor(publicKey: CryptoKey) {
    this.registeredKey = publicKey;
    this.#server = createServer((req, res) => void this.#handle(req).then(({ status, body }) => {
      if (status === 0) return void req.socket.destroy();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }));
  }

  get tokenUrl() { return `http://127.0.0.1:${this.port}/auth/token`; }
  get fhirUrl() { return `http://127.0.0.1:${this.port}/fhir`; }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(this.port, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  /** Down: the port refuses connections (until start() again). */
  async stop(): Promise<void> {
    const closed = new Promise((r) => this.#server.close(r));
    this.#server.closeAllConnections();
    await closed;
  }

  /** The EHR revokes every token it issued and now trusts another public key for our client. */
  rotate(publicKey: CryptoKey): void {
    this.#tokens.clear();
    this.registeredKey = publicKey;
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'POST' && req.url === '/auth/token') return this.#token(text);
    if (req.method === 'POST' && req.url === '/fhir/RiskAssessment') return this.#create(req, text);
    return { status: 404, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] } };
  }

  async #token(text: string): Promise<{ status: number; body: unknown }> {
    const form = new URLSearchParams(text);
    const refuse = (why: string) => {
      this.tokenRefusals.push(why);
      return { status: 401, body: { error: 'invalid_client', error_description: why } };
    };
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse('client_assertion_type');
    const assertion = form.get('client_assertion') ?? '';
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, this.registeredKey, { issuer: CLIENT_ID, subject: CLIENT_ID, audience: this.tokenUrl, algorithms: ['RS384'], requiredClaims: ['exp', 'jti'] });
      if (payload.exp! - Math.floor(Date.now() / 1000) > 300) return refuse('exp more than 5 minutes ahead');
      if (this.#jtis.has(payload.jti!)) return refuse('jti replayed');
      this.#jtis.add(payload.jti!);
      this.assertions.push({ header: protectedHeader, claims: payload });
    } catch (error) {
      return refuse((error as Error).name);
    }
    const token = `tok-${randomUUID()}`;
    this.#tokens.add(token);
    return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: 300, scope: form.get('scope') } };
  }

  #create(req: IncomingMessage, text: string): { status: number; body: unknown } {
    const authorization = req.headers.authorization;
    const ifNoneExist = req.headers['if-none-exist'] as string | undefined;
    const resource = JSON.parse(text);
    const ours = resource.identifier?.find((i: any) => i.system === 'urn:ietf:rfc:3986');
    const identifier = ours ? `${ours.system}|${ours.value}` : '';
    this.posts.push({ identifier, authorization, ifNoneExist });
    if (!authorization?.startsWith('Bearer ') || !this.#tokens.has(authorization.slice(7))) return { status: 401, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] } };
    if (resource.resourceType !== 'RiskAssessment') return { status: 400, body: {} };
    // Conditional create (FHIR R4 3.1.0.8.1): an existing match is returned instead of a second copy.
    const wanted = ifNoneExist ? new URLSearchParams(ifNoneExist).get('identifier') : null;
    if (wanted !== null && this.stored.some((s) => s.identifier === wanted)) return { status: 200, body: {} };
    this.stored.push({ resource, identifier });
    if (this.dropNextAnswer) {
      this.dropNextAnswer = false;
      return { status: 0, body: undefined };
    }
    return { status: 201, body: {} };
  }
}

let ehr: TestEhr;
let scratch: string;
let keyFile: string;
let server: ClinferServer | undefined;
const logLines: string[] = [];

const config = (): Partial<ConfigInput> => ({
  outboxDir: join(scratch, 'outbox'),
  deliveryRetry: { initialMs: 40, maxMs: 250, maxAgeMs: 24 * 3600 * 1000 },
  cdsHooksFhirServers: [ehr.fhirUrl],
  fhirWriteBack: { url: ehr.fhirUrl, tokenUrl: ehr.tokenUrl, clientId: CLIENT_ID, privateKeyFile: keyFile, keyId: KEY_ID, alg: 'RS384', cdsHooks: true, timeoutMs: 2000 },
});
const start = async () => { server = await startTestServer(DEMO_MODELS, config(), logLines); };
const predict = async (bundle: unknown, query = 'write_back=true', contentType = 'application/fhir+json') => {
  const res = await fetch(`${server!.url}/v1/models/heart-disease-risk/predict?reference_time=${AT}&${query}`, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify(bundle) });
  return { status: res.status, json: (await res.json()) as any };
};
const assessmentsOf = (answer: any) => answer.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === 'RiskAssessment');
const identifierOf = (r: any) => { const i = r.identifier.find((x: any) => x.system === 'urn:ietf:rfc:3986'); return `${i.system}|${i.value}`; };
const pendingItems = () => readdirSync(join(scratch, 'outbox/fhir/pending'));
const metric = async (name: string) => {
  const text = await (await fetch(`${server!.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
};

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'clinfer-write-back-'));
  const { publicKey, privateKey } = await generateKeyPair('RS384', { extractable: true });
  keyFile = join(scratch, 'client-key.pem');
  writeFileSync(keyFile, await exportPKCS8(privateKey), { mode: 0o600 });
  ehr = new TestEhr(publicKey);
  await ehr.start();
  await start();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await ehr?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('FHIR write-back', () => {
  it('POSTs each RiskAssessment of a write_back=true answer, as answered, with a SMART Backend Services token', async () => {
    const { status, json } = await predict(twoPatients);
    expect(status).toBe(200);
    const answered = assessmentsOf(json);
    expect(answered).toHaveLength(2);
    await expect.poll(() => ehr.stored.length, { timeout: 10_000 }).toBe(2);
    for (const a of answered) {
      const got = ehr.stored.find((s) => s.identifier === identifierOf(a))!;
      expect(got, 'stored under the identifier the caller was answered').toBeDefined();
      // Same content as answered, less the id the server assigns; basis references resolvable on the server.
      const { id: _id, ...expected } = a;
      expect(got.resource).toEqual(expected);
      expect(got.resource.basis.every((b: any) => /^(Patient|Observation|Condition)\/[a-z-]+$/.test(b.reference))).toBe(true);
    }
    expect(ehr.stored.map((s) => s.resource.subject.reference).sort()).toEqual(['Patient/a', 'Patient/b']);
    expect(ehr.stored[0]!.resource.prediction[0].probabilityDecimal).toBe(answered.find((a: any) => a.subject.reference === ehr.stored[0]!.resource.subject.reference).prediction[0].probabilityDecimal);
    // Every POST was a conditional create on its identifier, with a bearer token.
    for (const p of ehr.posts) {
      expect(p.ifNoneExist).toBe(`identifier=${encodeURIComponent(p.identifier)}`);
      expect(p.authorization).toMatch(/^Bearer tok-/);
    }
    // One token for both POSTs (cached); its assertion as SMART Backend Services asks.
    expect(ehr.assertions).toHaveLength(1);
    const [{ header, claims }] = ehr.assertions as [{ header: any; claims: any }];
    expect(header).toMatchObject({ alg: 'RS384', kid: KEY_ID, typ: 'JWT' });
    expect(claims).toMatchObject({ iss: CLIENT_ID, sub: CLIENT_ID, aud: ehr.tokenUrl });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(300);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => pendingItems().length).toBe(0);
    // The item's folder goes before the delivered event is counted: poll the count too.
    await expect.poll(() => metric('clinfer_fhir_write_back_total{destination="fhir",event="delivered"}')).toBe(1);
  });

  it('writes nothing back without write_back=true, and refuses it where it cannot be honoured', async () => {
    const before = ehr.posts.length;
    const enqueued = () => metric('clinfer_fhir_write_back_total{destination="fhir",event="enqueued"}');
    const enqueuedBefore = await enqueued();
    expect((await predict(patientB, 'write_back=false')).status).toBe(200);
    const records = await predict({ records: [{ age: 50, sex: 'male' }] }, 'write_back=true', 'application/json');
    expect(records.status).toBe(400);
    expect(records.json.code).toBe('INVALID_PARAMETER');
    expect(records.json.error).toMatch(/write_back=true is for FHIR requests/);
    const yes = await predict(patientB, 'write_back=yes');
    expect(yes.status).toBe(400);
    expect(yes.json.issue[0]).toMatchObject({ details: { text: 'INVALID_PARAMETER' }, diagnostics: "write_back must be true or false, got 'yes'" });
    // A Patient without an id on the EHR's server: its RiskAssessment would name nobody there.
    const uuid = 'urn:uuid:4b1e4f0e-4c43-4b6e-9d6f-6f4f1c7f2a11';
    const anonymous = { ...patientB, entry: patientB.entry.map((e: any) => (e.resource.resourceType === 'Patient' ? { fullUrl: uuid, resource: { ...e.resource, id: undefined } } : { resource: { ...e.resource, subject: { reference: uuid } } })) };
    const refused = await predict(anonymous);
    expect(refused.status).toBe(400);
    expect(refused.json.issue[0].details.text).toBe('INVALID_REQUEST');
    expect(refused.json.issue[0].diagnostics).toMatch(/write_back=true needs each Patient to have an id .*; Bundle\.entry\[0\] has none/);
    // Enqueueing is counted before the answer, so this is exact; the wait then gives a stray POST time to show.
    expect(await enqueued()).toBe(enqueuedBefore);
    await new Promise((r) => setTimeout(r, 300));
    expect(ehr.posts.length).toBe(before);
  });

  it('keeps what the EHR could not take in the outbox, across a restart, and delivers it once when the EHR is back', async () => {
    await ehr.stop();
    const { status, json } = await predict(patientB);
    expect(status).toBe(200);
    const identifier = identifierOf(assessmentsOf(json)[0]);
    await expect.poll(() => metric('clinfer_fhir_write_back_retries_total'), { timeout: 10_000 }).toBeGreaterThan(1);
    expect(pendingItems()).toHaveLength(1);
    // clinfer restarts while the EHR is still down; the item waits on disk.
    await server!.close();
    server = undefined;
    await start();
    expect(pendingItems()).toHaveLength(1);
    await ehr.start();
    await expect.poll(() => ehr.stored.filter((s) => s.identifier === identifier).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => pendingItems().length).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(ehr.stored.filter((s) => s.identifier === identifier)).toHaveLength(1);
  }, 60_000);

  it('does not create a second copy when the first answer was lost (conditional create)', async () => {
    ehr.dropNextAnswer = true;
    const { json } = await predict(patientB);
    const identifier = identifierOf(assessmentsOf(json)[0]);
    await expect.poll(() => pendingItems().length, { timeout: 10_000 }).toBe(0);
    expect(ehr.posts.filter((p) => p.identifier === identifier).length, 'sent again after the dropped answer').toBe(2);
    expect(ehr.stored.filter((s) => s.identifier === identifier)).toHaveLength(1);
  });

  it('with a refused client key: nothing delivered, retried, shown in metrics and logs without patient data', async () => {
    const other = await generateKeyPair('RS384');
    const trusted = ehr.registeredKey;
    ehr.rotate(other.publicKey);
    const storedBefore = ehr.stored.length;
    logLines.length = 0;
    const { status, json } = await predict(twoPatients);
    expect(status).toBe(200);
    await expect.poll(() => metric('clinfer_fhir_write_back_retries_total{destination="fhir",code="SMART_TOKEN_REFUSED"}'), { timeout: 10_000 }).toBeGreaterThan(2);
    expect(ehr.stored.length).toBe(storedBefore);
    expect(pendingItems()).toHaveLength(1);
    expect(ehr.tokenRefusals.at(-1)).toBe('JWSSignatureVerificationFailed');
    const retries = logLines.filter((l) => l.includes('SMART_TOKEN_REFUSED'));
    expect(retries.length).toBeGreaterThan(0);
    const probabilities = assessmentsOf(json).map((a: any) => String(a.prediction[0].probabilityDecimal));
    for (const line of logLines) {
      for (const secret of [PATIENT_NAME, 'Quellenberg', '1963-05-20', 'Patient/a', 'Patient/b', 'tok-', ...probabilities]) expect(line, secret).not.toContain(secret);
    }
    // The EHR registers our key again: the waiting item goes through.
    ehr.rotate(trusted);
    await expect.poll(() => ehr.stored.length, { timeout: 10_000 }).toBe(storedBefore + 2);
    await expect.poll(() => pendingItems().length).toBe(0);
  });

  it('refuses to start when the key does not fit alg, or cannot be read (CONFIG_INVALID)', async () => {
    const settings = config().fhirWriteBack!;
    for (const [fhirWriteBack, message] of [
      [{ ...settings, alg: 'ES384' }, /fhirWriteBack\.privateKeyFile: .* is not a P-384 EC private key in PKCS8 PEM \(alg ES384\)/],
      [{ ...settings, privateKeyFile: join(scratch, 'missing.pem') }, /fhirWriteBack\.privateKeyFile: .*missing\.pem cannot be read \(ENOENT\)/],
    ] as const) {
      const error = await startTestServer(DEMO_MODELS, { ...config(), fhirWriteBack }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((error as Error).message).toMatch(message);
    }
  });

  it('writes back the risk of a CDS Hooks call whose fhirServer is the EHR (fhirWriteBack.cdsHooks)', async () => {
    const resources = twoPatients.entry.map((e: any) => e.resource).filter((r: any) => r.id === 'a' || r.subject?.reference === 'Patient/a');
    const observations = resources.filter((r: any) => r.resourceType === 'Observation').map((r: any) => ({ resource: { ...r, effectiveDateTime: new Date(Date.now() - 86_400_000).toISOString() } }));
    const hook = (fhirServer: string) => ({
      hook: 'patient-view', hookInstance: randomUUID(), fhirServer, context: { userId: 'Practitioner/1', patientId: 'a' },
      prefetch: { patient: resources.find((r: any) => r.resourceType === 'Patient'), observations: { resourceType: 'Bundle', type: 'searchset', entry: observations } },
    });
    const before = ehr.stored.length;
    const res = await fetch(`${server!.url}/cds-services/heart-disease-risk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hook(ehr.fhirUrl)) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).cards).toHaveLength(1);
    await expect.poll(() => ehr.stored.length, { timeout: 10_000 }).toBe(before + 1);
    const got = ehr.stored.at(-1)!.resource;
    expect(got).toMatchObject({ resourceType: 'RiskAssessment', subject: { reference: 'Patient/a' }, method: { coding: [{ code: 'heart-disease-risk' }] } });
    expect(got.prediction[0].probabilityDecimal).toBeGreaterThan(0);
  });
});
