import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * CDS Hooks fetches from the EHR's FHIR server, against a small FHIR server of our own on loopback that
 * pages its search results (Bundle.link[next]) and honours combo-code, date=ge and _count: every page is
 * read (within cdsHooksFhirMaxPages), blood-pressure components are found, an OperationOutcome in a prefetch
 * slot is fetched, cards speak the clinician's language, and too little data gives a card saying what to record.
 */
const DAY = 86_400_000;
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'fhir/two-patients.json'), 'utf8'));
const ofA = fixture.entry.map((e: any) => e.resource).filter((r: any) => r.subject?.reference === 'Patient/a' && r.resourceType === 'Observation');
const patients: Record<string, any> = {
  a: fixture.entry[0].resource,
  nobirth: { resourceType: 'Patient', id: 'nobirth', gender: 'female' },
  evil: { resourceType: 'Patient', id: 'evil', gender: 'male', birthDate: '1960-01-01' },
};
const iso = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString();
// Patient a's results, moved to recent dates; the cholesterol is 60 days old and 28 older blood-pressure
// panels come between, so that at 10 a page it is on the 4th page.
const observations: any[] = ofA.map((r: any) => ({ ...r, effectiveDateTime: r.id === 'a-bp-old' ? r.effectiveDateTime : r.id === 'a-chol' ? iso(60) : iso(0.5) }));
for (let k = 0; k < 28; k++) {
  const bp = structuredClone(ofA.find((r: any) => r.id === 'a-bp'));
  observations.push({ ...bp, id: `a-bp-${k}`, effectiveDateTime: iso(2 + k) });
}
observations.push({ ...observations[0], id: 'nobirth-bp', subject: { reference: 'Patient/nobirth' } });
// 15 results for 'evil': its search has a second page, whose next link points at another server.
for (let k = 0; k < 15; k++) observations.push({ ...observations[0], id: `evil-bp-${k}`, subject: { reference: 'Patient/evil' }, effectiveDateTime: iso(1 + k) });

let server: ClinferServer;
let strict: ClinferServer;
let fhir: Server;
let canary: Server;
let fhirUrl: string;
const requests: string[] = [];
const canaryHits: string[] = [];

function search(url: URL, res: import('node:http').ServerResponse) {
  const q = url.searchParams;
  const wanted = (q.get('combo-code') ?? q.get('code') ?? '').split(',');
  const codesOf = (r: any) => [r.code, ...(q.has('combo-code') ? (r.component ?? []).map((c: any) => c.code) : [])].flatMap((c: any) => c.coding.map((x: any) => `${x.system}|${x.code}`));
  const since = q.get('date')?.startsWith('ge') ? Date.parse(q.get('date')!.slice(2)) : Number.NEGATIVE_INFINITY;
  const all = observations
    .filter((r) => r.subject.reference === `Patient/${q.get('patient')}` && codesOf(r).some((c) => wanted.includes(c)) && Date.parse(r.effectiveDateTime) >= since)
    .sort((a, b) => Date.parse(b.effectiveDateTime) - Date.parse(a.effectiveDateTime));
  const count = Number(q.get('_count') ?? 1000);
  const offset = Number(q.get('_offset') ?? 0);
  const page = all.slice(offset, offset + count);
  const link = [];
  if (offset + count < all.length) {
    const next = new URL(url.href);
    next.searchParams.set('_offset', String(offset + count));
    if (q.get('patient') === 'evil') next.host = `127.0.0.1:${(canary.address() as AddressInfo).port}`;
    link.push({ relation: 'next', url: next.href });
  }
  res.end(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', total: all.length, link, entry: page.map((resource) => ({ resource })) }));
}

beforeAll(async () => {
  canary = createServer((req, res) => { canaryHits.push(req.url ?? ''); res.end('{}'); });
  await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
  fhir = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    requests.push(`${url.pathname}${url.search}`);
    res.setHeader('content-type', 'application/fhir+json');
    const patient = url.pathname.match(/^\/fhir\/Patient\/(\w+)$/)?.[1];
    if (patient && patients[patient]) return void res.end(JSON.stringify(patients[patient]));
    if (url.pathname === '/fhir/Observation') return search(url, res);
    res.statusCode = 404;
    res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }));
  });
  await new Promise<void>((r) => fhir.listen(0, '127.0.0.1', r));
  fhirUrl = `http://127.0.0.1:${(fhir.address() as AddressInfo).port}/fhir`;
  server = await startTestServer(DEMO_MODELS, { cdsHooksFhirServers: [fhirUrl], cdsHooksFhirPageSize: 10 });
  strict = await startTestServer(DEMO_MODELS, { cdsHooksFhirServers: [fhirUrl], cdsHooksFhirPageSize: 10, cdsHooksFhirMaxPages: 2 });
});
afterAll(async () => {
  await server?.close();
  await strict?.close();
  await new Promise((r) => fhir?.close(r));
  await new Promise((r) => canary?.close(r));
});

const call = async (body: object, headers: Record<string, string> = {}, base = server.url) => {
  const res = await fetch(`${base}/cds-services/heart-disease-risk`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), ...body }) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
};
const fromServer = (patientId: string, extra: object = {}) => ({ context: { userId: 'Practitioner/1', patientId }, fhirServer: fhirUrl, fhirAuthorization: { access_token: 'tok' }, ...extra });

describe('fetching from the EHR FHIR server', () => {
  it('follows next links to the 4th page: the 60-day-old cholesterol is used, not imputed', async () => {
    requests.length = 0;
    const { status, json } = await call(fromServer('a'));
    expect(status).toBe(200);
    const searches = requests.filter((r) => r.startsWith('/fhir/Observation'));
    expect(searches).toHaveLength(4);
    for (const s of searches) {
      // combo-code: code or component code (systolic pressure sits inside the 85354-9 panels).
      expect(decodeURIComponent(s)).toMatch(/[?&]combo-code=[^&]*http:\/\/loinc\.org\|8480-6/);
      expect(s).toMatch(/[?&]_count=10(&|$)/);
      // date=ge: the longest look-back of the Observation features (365 days) before now.
      expect(s).toContain(`date=ge${new Date(Date.now() - 365 * DAY).toISOString().slice(0, 10)}`);
    }
    const detail: string = json.cards[0].detail;
    // Every feature was found (the first page alone lacks the cholesterol, which would be imputed).
    expect(detail).not.toMatch(/imputed by the model/);
    // The same card as when the EHR prefetches everything.
    const all = observations.filter((r) => r.subject.reference === 'Patient/a' && r.id !== 'a-bp-old');
    const prefetched = await call({ context: { userId: 'Practitioner/1', patientId: 'a' }, prefetch: { patient: patients.a, observations: { resourceType: 'Bundle', type: 'searchset', entry: all.map((resource) => ({ resource })) } } });
    expect(json.cards[0].summary).toBe(prefetched.json.cards[0].summary);
  });

  it('refuses (412) rather than read part of a search longer than cdsHooksFhirMaxPages', async () => {
    const { status, json } = await call(fromServer('a'), {}, strict.url);
    expect(status).toBe(412);
    expect(json).toMatchObject({ code: 'PREFETCH_UNAVAILABLE', error: expect.stringMatching(/Observation search has more than 2 pages \(cdsHooksFhirMaxPages\)/) });
  });

  it('never follows a next link to another server (the token stays home)', async () => {
    const { status, json } = await call(fromServer('evil'), {}, server.url);
    expect(status).toBe(412);
    expect(json.error).toMatch(/Observation search gave a next link to another server \(http:\/\/127\.0\.0\.1:\d+\); not followed/);
    expect(canaryHits).toEqual([]);
  });

  it('fetches a prefetch slot that is an OperationOutcome (the EHR could not prefetch it)', async () => {
    requests.length = 0;
    const failed = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const { status, json } = await call(fromServer('a', { prefetch: { patient: patients.a, observations: failed } }));
    expect(status).toBe(200);
    expect(json.cards).toHaveLength(1);
    expect(requests.filter((r) => r.startsWith('/fhir/Observation'))).toHaveLength(4);
    expect(requests.some((r) => r.startsWith('/fhir/Patient'))).toBe(false);
    const without = await call({ context: { userId: 'Practitioner/1', patientId: 'a' }, prefetch: { patient: patients.a, observations: failed } });
    expect(without.status).toBe(412);
    expect(without.json.error).toMatch(/prefetch 'observations' is an OperationOutcome/);
  });
});

describe('cards in the clinician language', () => {
  it('names categories, not codes, and says Content-Language with Vary: Accept-Language', async () => {
    const { status, headers, json } = await call(fromServer('a'), { 'accept-language': 'fr-CH, de;q=0.5' });
    expect(status).toBe(200);
    expect(headers.get('content-language')).toBe('fr');
    expect(headers.get('vary')).toMatch(/Accept-Language/i);
    const card = json.cards[0];
    expect(card.summary).toMatch(/^Maladie cardiaque risque: \d+%$/);
    // Chest pain type 1 is shown by its name.
    expect(card.detail).toMatch(/\| Type de douleur thoracique \| Angor typique \|/);
    expect(card.detail).not.toMatch(/\| Type de douleur thoracique \| 1 \|/);
  });

  it('answers a card saying which data to record when the bundle least_observed is not met', async () => {
    const { status, json } = await call(fromServer('nobirth'), { 'accept-language': 'de' });
    expect(status).toBe(200);
    expect(json.cards).toHaveLength(1);
    expect(json.cards[0]).toMatchObject({ indicator: 'info', summary: 'Risiko nicht berechnet: zu wenige Daten in der Akte' });
    expect(json.cards[0].detail).toMatch(/^Alter: nicht beobachtet, aber erforderlich\. Zu erfassen: Alter, /);
  });
});
