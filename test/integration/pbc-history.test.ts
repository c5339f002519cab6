import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { validateFhir } from '../helpers/fhir-validator.js';
import { DEMO_MODELS, FIXTURES, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * The pbc-risk demo bundle reads FHIR histories as its recipe (recipes/train_pbc.py) computed the features:
 * for every eligible visit of the held-out patients (test/fixtures/pbc, from the R package survival's
 * pbcseq, LGPL >= 2), a Bundle holds the patient's whole follow-up, each lab visit an Observation at its
 * date, later visits included; /v1 predict at that visit must give the recipe's probability.
 */
const L = 'http://loinc.org';
const S = 'http://snomed.info/sct';
const EDEMA = 'urn:clinfer:pbcseq:edema';
const FHIR = 'application/fhir+json';

function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(FIXTURES, 'pbc', file), 'utf8').trim().split(/\r?\n/);
  const keys = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i]!, v])));
}
const visits = readCsv('visits.csv');
const expected = readCsv('expected.csv');

const quantity = (value: number, unit: string) => ({ value, unit, system: 'http://unitsofmeasure.org', code: unit });
const concept = (system: string, code: string) => ({ coding: [{ system, code }] });

/** One patient's follow-up as a FHIR Bundle: every visit's results as Observations dated on the visit. */
function historyBundle(id: string): Record<string, unknown> {
  const own = visits.filter((v) => v.id === id);
  const subject = { reference: `Patient/pbc-${id}` };
  const entry: Record<string, unknown>[] = [{ resource: { resourceType: 'Patient', id: `pbc-${id}`, birthDate: own[0]!.birth_date, gender: own[0]!.gender } }];
  own.forEach((v, k) => {
    const effectiveDateTime = `${v.date}T09:00:00Z`;
    const obs = (name: string, code: Record<string, unknown>, value: Record<string, unknown>) =>
      entry.push({ resource: { resourceType: 'Observation', id: `pbc-${id}-${k}-${name}`, status: 'final', subject, effectiveDateTime, code, ...value } });
    obs('bili', concept(L, '1975-2'), { valueQuantity: quantity(Number(v.bili), 'mg/dL') });
    // Albumin in g/L every other visit: converted to the model's g/dL.
    obs('alb', concept(L, '1751-7'), { valueQuantity: k % 2 ? quantity(Number(v.albumin) * 10, 'g/L') : quantity(Number(v.albumin), 'g/dL') });
    obs('pt', concept(L, '5902-2'), { valueQuantity: quantity(Number(v.protime), 's') });
    if (v.ascites !== '') obs('ascites', concept(S, '389026000'), { valueCodeableConcept: concept(S, v.ascites === '1' ? '52101004' : '2667000') });
    if (v.edema !== '') obs('edema', concept(S, '267038008'), { valueCodeableConcept: concept(EDEMA, v.edema!) });
  });
  return { resourceType: 'Bundle', type: 'collection', entry };
}

let server: ClinferServer;
let repository: TempRepository;
beforeAll(async () => {
  repository = new TempRepository().add('pbc-risk', '1', {
    'bundle.json': { copy: join(DEMO_MODELS, 'pbc-risk/1/bundle.json') },
    'model.onnx': { copy: join(DEMO_MODELS, 'pbc-risk/1/model.onnx') },
  });
  server = await startTestServer(repository.root);
});
afterAll(async () => {
  await server?.close();
  repository?.remove();
});

async function predictAt(id: string, date: string) {
  const res = await fetch(`${server.url}/v1/models/pbc-risk/predict?reference_time=${date}T09:00:00Z`, {
    method: 'POST', headers: { 'content-type': FHIR }, body: JSON.stringify(historyBundle(id)),
  });
  return { status: res.status, json: (await res.json()) as any };
}

describe('pbc-risk on FHIR histories of held-out patients', () => {
  it('has the fixture the recipe wrote: every held-out patient, hundreds of visits', () => {
    expect(new Set(expected.map((e) => e.id)).size).toBeGreaterThan(80);
    expect(expected.length).toBeGreaterThan(400);
  });

  it('gives the recipe\'s probability at every eligible visit, patient by patient, using nothing after the visit', async () => {
    const mismatches: string[] = [];
    let withFuture = 0;
    for (const e of expected) {
      const { status, json } = await predictAt(e.id!, e.date!);
      expect(status).toBe(200);
      const ra = json.entry.find((x: any) => x.resource.resourceType === 'RiskAssessment')?.resource;
      const p = ra?.prediction[0].probabilityDecimal;
      // Written so that a NaN on either side is a mismatch.
      if (!(Math.abs(p - Number(e.probability)) <= 1e-5)) mismatches.push(`patient ${e.id} at ${e.date}: ${p} != ${e.probability}`);
      // Later visits were in the Bundle and are neither in the basis nor in the value.
      if (visits.some((v) => v.id === e.id && v.date! > e.date!)) {
        withFuture++;
        expect(ra.basis.map((b: any) => b.reference).filter((r: string) => r.startsWith('Observation/')).every((r: string) => {
          const k = Number(r.split('-')[2]);
          return visits.filter((v) => v.id === e.id)[k]!.date! <= e.date!;
        })).toBe(true);
      }
    }
    expect(mismatches).toEqual([]);
    expect(withFuture).toBeGreaterThan(300);
  }, 120_000);

  it('gives the same probabilities for the recipe\'s feature rows sent as JSON records (one request)', async () => {
    const names = ['age', 'sex', 'log_bilirubin', 'log_bilirubin_slope', 'albumin', 'albumin_slope', 'prothrombin_time', 'prothrombin_time_slope', 'ascites', 'edema_treated', 'edema_despite_diuretics', 'bilirubin_tests_last_year'];
    const records = expected.map((e) => Object.fromEntries(names.map((n) => [n, Number(e[n])])));
    const res = await fetch(`${server.url}/v1/models/pbc-risk/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const got = body.predictions.map((p: any) => p.probability);
    const worst = Math.max(...got.map((p: number, i: number) => Math.abs(p - Number(expected[i]!.probability))));
    expect(Number.isFinite(worst)).toBe(true);
    expect(worst).toBeLessThan(1e-5);
  });

  it('states the 2-year horizon as whenPeriod, and the answer is valid FHIR R4', async () => {
    const e = expected.find((x) => x.imputed === '')!;
    const { json } = await predictAt(e.id!, e.date!);
    const ra = json.entry.find((x: any) => x.resource.resourceType === 'RiskAssessment').resource;
    const end = new Date(`${e.date}T09:00:00Z`);
    end.setUTCFullYear(end.getUTCFullYear() + 2);
    expect(ra.prediction[0].whenPeriod).toEqual({ start: `${e.date}T09:00:00.000Z`, end: end.toISOString() });
    expect(ra.status).toBe('final');
    expect(() => validateFhir(json)).not.toThrow();
  });

  it('a first visit has no trend: the slopes are imputed (0) and the answer says so', async () => {
    const first = expected.find((x) => x.imputed!.includes('log_bilirubin_slope'))!;
    const { json } = await predictAt(first.id!, first.date!);
    const text = JSON.stringify(json);
    expect(text).toContain('log_bilirubin_slope');
    expect(text).toMatch(/1 value in the window, a slope needs 2/);
  });
});

describe('pbc-risk as a CDS Hooks service', () => {
  it('prefetches the history it reads, and its card states the horizon and the FHIR path\'s risk', async () => {
    const discovery = (await (await fetch(`${server.url}/cds-services`)).json()) as any;
    const service = discovery.services.find((s: any) => s.id === 'pbc-risk');
    expect(service.prefetch.history_Observation).toBe(`Observation?patient={{context.patientId}}&combo-code=${L}|1975-2,${L}|1751-7,${L}|5902-2,${S}|389026000,${S}|267038008`);
    // CDS Hooks assesses now: move one patient's follow-up so that the last visit was 30 days ago.
    const id = expected.at(-1)!.id!;
    const bundle = historyBundle(id) as { entry: { resource: any }[] };
    const last = Math.max(...bundle.entry.filter((e) => e.resource.effectiveDateTime).map((e) => Date.parse(e.resource.effectiveDateTime)));
    const shift = Date.now() - 30 * 86_400_000 - last;
    for (const { resource } of bundle.entry) {
      if (resource.effectiveDateTime) resource.effectiveDateTime = new Date(Date.parse(resource.effectiveDateTime) + shift).toISOString();
      if (resource.birthDate) resource.birthDate = new Date(Date.parse(resource.birthDate) + shift).toISOString().slice(0, 10);
    }
    const patient = bundle.entry[0]!.resource;
    const observations = { resourceType: 'Bundle', type: 'searchset', entry: bundle.entry.slice(1) };
    const res = await fetch(`${server.url}/cds-services/pbc-risk`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hook: 'patient-view', hookInstance: '6f1c1a9e-0d7e-4a7f-9a55-2b0d3c1e9f00', context: { userId: 'Practitioner/1', patientId: patient.id }, prefetch: { patient, history_Observation: observations } }),
    });
    expect(res.status).toBe(200);
    const card = ((await res.json()) as any).cards[0];
    const fhir = await fetch(`${server.url}/v1/models/pbc-risk/predict`, { method: 'POST', headers: { 'content-type': FHIR }, body: JSON.stringify(bundle) });
    const p = ((await fhir.json()) as any).entry[0].resource.prediction[0].probabilityDecimal;
    expect(card.summary).toBe(`Death or liver transplant risk within 2 years: ${Math.round(p * 100)}%`);
  });
});

describe('pbc-risk refuses a risk from too little history', () => {
  it('answers 422 INSUFFICIENT_DATA naming the labs to record when none is in the last 2 years', async () => {
    const e = expected[0]!;
    const bundle = historyBundle(e.id!) as { entry: unknown[] };
    const onlyPatient = { ...bundle, entry: bundle.entry.slice(0, 1) };
    const res = await fetch(`${server.url}/v1/models/pbc-risk/predict?reference_time=${e.date}T09:00:00Z`, { method: 'POST', headers: { 'content-type': FHIR }, body: JSON.stringify(onlyPatient) });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toContain('INSUFFICIENT_DATA');
    expect(text).toMatch(/Bilirubin, total \(ln mg\/dL\), latest, Albumin, latest, Prothrombin time, latest: not observed, but required/);
    // The same patient three years after the last visit: the labs are out of the window.
    const late = new Date(`${visits.filter((v) => v.id === e.id).at(-1)!.date}T09:00:00Z`);
    late.setUTCFullYear(late.getUTCFullYear() + 3);
    const old = await fetch(`${server.url}/v1/models/pbc-risk/predict?reference_time=${late.toISOString()}`, { method: 'POST', headers: { 'content-type': FHIR }, body: JSON.stringify(bundle) });
    expect(old.status).toBe(422);
  });
});
