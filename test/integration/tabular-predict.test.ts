import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { validateFhir } from '../helpers/fhir-validator.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/** /v1 predict for a tabular model: JSON records and FHIR R4 Bundles, against the demo heart-disease bundle. */
let server: ClinferServer;
let predictUrl: string;
const AT = '2026-11-15T00:00:00Z';
const bundle = JSON.parse(readFileSync(join(FIXTURES, 'fhir/two-patients.json'), 'utf8'));
// Patient a, as records: age 63 at the reference time, cholesterol 6.026 mmol/L = 233 mg/dL.
const patientA = { age: 63, sex: 'male', cp: 'typical_angina', trestbps: 145, chol: 233, fbs: 1, restecg: 2, thalach: 150, exang: 0, oldpeak: 2.3, slope: 3, ca: 0, thal: 'fixed_defect' };

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS);
  predictUrl = `${server.url}/v1/models/heart-disease-risk/predict`;
});
afterAll(() => server?.close());

const post = async (body: unknown, contentType = 'application/json', headers: Record<string, string> = {}, url = predictUrl) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: (await res.json()) as any };
};

describe('JSON records', () => {
  it('predicts per record with labels in the Accept-Language and exact contributions', async () => {
    const { status, json } = await post({ records: [patientA, { age: 41, sex: 'female' }] }, 'application/json', { 'accept-language': 'de-CH, fr;q=0.8' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ model_name: 'heart-disease-risk', model_version: '1', language: 'de' });
    const [a, b] = json.predictions;
    expect(a.probability).toBeGreaterThan(0);
    expect(a.probability).toBeLessThan(1);
    expect(a.label.text).toMatch(/Herzerkrankung/);
    expect(a.contributions).toHaveLength(5);
    expect(Math.abs(a.contributions[0].contribution)).toBeGreaterThanOrEqual(Math.abs(a.contributions[4].contribution));
    expect(b.imputed).toEqual(['cp', 'trestbps', 'chol', 'fbs', 'restecg', 'thalach', 'exang', 'oldpeak', 'slope', 'ca', 'thal']);
  });

  it('gives the same prediction for mg/dL and mmol/L cholesterol', async () => {
    const { json } = await post({ records: [patientA, { ...patientA, chol: { value: 6.026, unit: 'mmol/L' } }, { ...patientA, chol: { value: 2.33, unit: 'g/L' } }] });
    const [p1, p2, p3] = json.predictions.map((p: any) => p.probability);
    expect(p2).toBeCloseTo(p1, 4);
    expect(p3).toBeCloseTo(p1, 4);
  });

  it('matches the OIP infer endpoint on the same feature vector', async () => {
    const { json } = await post({ records: [patientA] });
    const infer: any = await (await fetch(`${server.url}/v2/models/heart-disease-risk/infer`, {
      method: 'POST', body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6] }] }),
    })).json();
    expect(json.predictions[0].probability).toBeCloseTo(infer.outputs[0].data[0], 6);
  });

  it.each([
    [{ records: [{ ...patientA, cholesterol: 5 }] }, /records\[0\]: unknown feature 'cholesterol'/],
    [{ records: [{ ...patientA, trestbps: 400 }] }, /records\[0\]\.trestbps: 400 mm\[Hg\] is outside the accepted range \[50, 250\]/],
    [{ records: [{ ...patientA, chol: { value: 5, unit: 'mm[Hg]' } }] }, /records\[0\]\.chol: mm\[Hg\] cannot be converted to mg\/dL/],
    [{ records: [{ ...patientA, cp: 'severe' }] }, /records\[0\]\.cp: 'severe' is not one of the categories 1 \(typical_angina\)/],
    [{ records: [{ ...patientA, ca: 7 }] }, /records\[0\]\.ca: 7 is not one of the categories \[0, 1, 2, 3\]/],
    [{ records: [] }, /'records' is empty/],
    [{ rows: [] }, /must be a JSON object with a 'records' array/],
  ])('refuses bad records with 400 naming record and feature (%#)', async (body, message) => {
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.code).toBe('INVALID_INPUT');
    expect(json.error).toMatch(message);
  });

  it('refuses malformed JSON, other media types, and models without tabular features', async () => {
    expect((await post('{"records": [', 'application/json')).json.code).toBe('INVALID_REQUEST');
    const csv = await post('age,sex\n63,1', 'text/csv');
    expect(csv.status).toBe(415);
    expect(csv.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const png = await post('xx', 'image/png');
    expect(png.status).toBe(400);
    expect(png.json.code).toBe('NOT_AN_IMAGING_MODEL');
    const xray = await post({ records: [{}] }, 'application/json', {}, `${server.url}/v1/models/chest-xray-pneumonia/predict`);
    expect(xray.status).toBe(400);
    expect(xray.json.code).toBe('NOT_A_TABULAR_MODEL');
  });
});

describe('FHIR R4 Bundles', () => {
  it('answers a valid FHIR Bundle with a RiskAssessment per patient and an OperationOutcome', async () => {
    const { status, type, json } = await post(bundle, 'application/fhir+json', { 'accept-language': 'fr' }, `${predictUrl}?reference_time=${AT}`);
    expect(status).toBe(200);
    expect(type).toMatch(/application\/fhir\+json/);
    expect(() => validateFhir(json)).not.toThrow();
    expect(json).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const risks = json.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === 'RiskAssessment');
    expect(risks.map((r: any) => r.subject.reference)).toEqual(['Patient/a', 'Patient/b']);
    for (const r of risks) {
      expect(() => validateFhir(r)).not.toThrow();
      expect(r.status).toBe('final');
      expect(r.method.coding[0]).toMatchObject({ system: 'urn:clinfer:model', code: 'heart-disease-risk', version: '1' });
      expect(r.occurrenceDateTime).toBe('2026-11-15T00:00:00.000Z');
      const p = r.prediction[0];
      expect(p.probabilityDecimal).toBeGreaterThanOrEqual(0);
      expect(p.probabilityDecimal).toBeLessThanOrEqual(1);
      expect(p.outcome.coding[0]).toMatchObject({ system: 'http://snomed.info/sct', code: '53741008' });
      expect(p.outcome.text).toBe('Maladie cardiaque');
    }
    // Patient a's basis: the patient and exactly the observations used (not the one outside the look-back).
    const basis = risks[0].basis.map((b: any) => b.reference);
    expect(basis).toEqual(expect.arrayContaining(['Patient/a', 'Observation/a-bp', 'Observation/a-chol', 'Observation/a-glu', 'Observation/a-thal']));
    expect(basis).not.toContain('Observation/a-bp-old');
    // The same patient through JSON records gives the same probability.
    const records = await post({ records: [patientA] });
    expect(risks[0].prediction[0].probabilityDecimal).toBeCloseTo(records.json.predictions[0].probability, 4);

    const outcome = json.entry.map((e: any) => e.resource).find((r: any) => r.resourceType === 'OperationOutcome');
    expect(() => validateFhir(outcome)).not.toThrow();
    const diagnostics = outcome.issue.map((i: any) => i.diagnostics as string);
    expect(diagnostics).toContainEqual(expect.stringMatching(/^Patient\/b: chol: Observation\/b-chol is in 'mm\[Hg\]', which cannot be converted to mg\/dL/));
    expect(diagnostics).toContainEqual(expect.stringMatching(/^Patient\/b: trestbps: no usable Observation http:\/\/loinc.org\|8480-6 in the 365 days before 2026-11-15; imputed by the model/));
    const unconvertible = outcome.issue.find((i: any) => /b-chol/.test(i.diagnostics));
    expect(unconvertible).toMatchObject({ severity: 'warning', code: 'value', expression: ['Bundle.entry[14].resource'] });
    expect(diagnostics.some((d: string) => d.startsWith('Patient/a'))).toBe(false);
  });

  it('turns fasting glucose in mmol/L into the fbs flag through UCUM (5.5 mmol/L = 99 mg/dL: no)', async () => {
    const onlyB = { ...bundle, entry: bundle.entry.filter((e: any) => e.resource.id.startsWith('b')) };
    const high = structuredClone(onlyB);
    high.entry.find((e: any) => e.resource.id === 'b-glu').resource.valueQuantity = { value: 7.5, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' };
    const [low, hi] = await Promise.all([onlyB, high].map((b) => post(b, 'application/fhir+json', {}, `${predictUrl}?reference_time=${AT}`)));
    const p = (r: any) => r.json.entry[0].resource.prediction[0].probabilityDecimal;
    const records = await post({ records: [{ age: 41, sex: 'female', fbs: 0 }, { age: 41, sex: 'female', fbs: 1 }] });
    expect(p(low)).toBeCloseTo(records.json.predictions[0].probability, 5);
    expect(p(hi)).toBeCloseTo(records.json.predictions[1].probability, 5);
  });

  it('refuses a value out of range for that patient only, with an error issue', async () => {
    const bad = structuredClone(bundle);
    bad.entry.find((e: any) => e.resource.id === 'a-chol').resource.valueQuantity.value = 60;
    const { status, json } = await post(bad, 'application/fhir+json', {}, `${predictUrl}?reference_time=${AT}`);
    expect(status).toBe(200);
    const risks = json.entry.filter((e: any) => e.resource.resourceType === 'RiskAssessment');
    expect(risks.map((e: any) => e.resource.subject.reference)).toEqual(['Patient/b']);
    const outcome = json.entry.find((e: any) => e.resource.resourceType === 'OperationOutcome').resource;
    expect(outcome.issue).toContainEqual(expect.objectContaining({ severity: 'error', code: 'value', diagnostics: expect.stringMatching(/^Patient\/a: chol: 2319\.\d+ mg\/dL is outside the accepted range \[50, 700\]/) }));
  });

  it.each([
    [{ resourceType: 'Bundle', type: 'collection', entry: [] }, /holds no Patient resource/],
    [{ resourceType: 'Patient', id: 'x' }, /must be a FHIR Bundle/],
    ['{"resourceType": "Bundle", ', /not valid JSON/],
  ])('answers bad FHIR input with 400 and an OperationOutcome (%#)', async (body, message) => {
    const { status, type, json } = await post(body, 'application/fhir+json', {}, `${predictUrl}?reference_time=${AT}`);
    expect(status).toBe(400);
    expect(type).toMatch(/application\/fhir\+json/);
    expect(json.resourceType).toBe('OperationOutcome');
    expect(json.issue[0]).toMatchObject({ severity: 'error', code: 'invalid', diagnostics: expect.stringMatching(message) });
    expect(() => validateFhir(json)).not.toThrow();
  });

  it('refuses a reference_time that is not a date', async () => {
    const { status, json } = await post(bundle, 'application/fhir+json', {}, `${predictUrl}?reference_time=yesterday`);
    expect(status).toBe(400);
    expect(json.issue[0].diagnostics).toMatch(/reference_time must be an ISO 8601 date-time/);
  });
});

describe('never silently wrong: time, status and the least observed data', () => {
  const fhir = (b: unknown, at = AT) => post(b, 'application/fhir+json', {}, `${predictUrl}?reference_time=${at}`);
  const onlyA = () => ({ ...structuredClone(bundle), entry: structuredClone(bundle.entry).filter((e: any) => e.resource.id === 'a' || e.resource.subject?.reference === 'Patient/a') });
  const riskOf = (json: any) => json.entry.map((e: any) => e.resource).find((r: any) => r.resourceType === 'RiskAssessment');

  it('answers {} with 422 INSUFFICIENT_DATA naming what to record, and a sparse record marks what was imputed', async () => {
    const { status, json } = await post({ records: [patientA, {}] });
    expect(status).toBe(422);
    expect(json.code).toBe('INSUFFICIENT_DATA');
    expect(json.error).toMatch(/^records\[1\]: too little observed data: Age: not observed, but required\. Record: Age, Sex, Chest pain type, /);
  });

  it('leaves out an Observation dated after reference_time (not in basis; the probability does not change)', async () => {
    const base = riskOf((await fhir(onlyA())).json);
    const later = onlyA();
    const at = Date.parse(AT);
    later.entry.push({ resource: { resourceType: 'Observation', id: 'a-chol-future', status: 'final', subject: { reference: 'Patient/a' }, code: { coding: [{ system: 'http://loinc.org', code: '2093-3' }] }, effectiveDateTime: new Date(at + 20 * 3_600_000).toISOString(), valueQuantity: { value: 600, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' } } });
    const { status, json } = await fhir(later);
    expect(status).toBe(200);
    const risk = riskOf(json);
    expect(risk.basis.map((b: any) => b.reference)).not.toContain('Observation/a-chol-future');
    expect(risk.prediction[0].probabilityDecimal).toBe(base.prediction[0].probabilityDecimal);
    const outcome = json.entry.map((e: any) => e.resource).find((r: any) => r.resourceType === 'OperationOutcome');
    expect(outcome.issue).toContainEqual(expect.objectContaining({ severity: 'information', diagnostics: expect.stringMatching(/Observation\/a-chol-future is dated after the reference time/) }));
  });

  it('does not use a preliminary cholesterol (imputed instead, marked on the RiskAssessment by an extension)', async () => {
    const b = onlyA();
    b.entry.find((e: any) => e.resource.id === 'a-chol').resource.status = 'preliminary';
    const risk = riskOf((await fhir(b)).json);
    expect(risk.status).toBe('final');
    expect(risk.basis.map((x: any) => x.reference)).not.toContain('Observation/a-chol');
    expect(risk.extension).toEqual([{ url: 'urn:clinfer:fhir:extension:imputed-feature', valueString: 'chol' }]);
    expect(risk.note.map((n: any) => n.text)).toContainEqual('Not found in the record, imputed: chol.');
    const fr = riskOf((await post(b, 'application/fhir+json', { 'accept-language': 'fr' }, `${predictUrl}?reference_time=${AT}`)).json);
    expect(fr.note.map((n: any) => n.text)).toContainEqual('Absents du dossier, imputés: chol.');
    expect(fr.note[0].text).toMatch(/^Contributions principales au log-odds/);
    expect(() => validateFhir(risk)).not.toThrow();
  });

  it('answers a Bundle whose only patient lacks the required age with 422 and an OperationOutcome; with age, marks the 11 imputed', async () => {
    const bare = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', id: 'p', gender: 'female' } }] };
    const refused = await fhir(bare);
    expect(refused.status).toBe(422);
    expect(refused.type).toMatch(/application\/fhir\+json/);
    expect(refused.json.resourceType).toBe('OperationOutcome');
    expect(refused.json.issue[0].diagnostics).toMatch(/Patient\/p: too little observed data: Age: not observed, but required/);
    expect(() => validateFhir(refused.json)).not.toThrow();
    const withAge = structuredClone(bare);
    (withAge.entry[0]!.resource as any).birthDate = '1970-01-01';
    const { status, json } = await fhir(withAge);
    expect(status).toBe(200);
    expect(riskOf(json).extension.map((e: any) => e.valueString)).toEqual(['cp', 'trestbps', 'chol', 'fbs', 'restecg', 'thalach', 'exang', 'oldpeak', 'slope', 'ca', 'thal']);
    // With a patient who can be assessed, the other is an error issue of the OperationOutcome.
    const mixed = onlyA();
    mixed.entry.push(...bare.entry);
    const both = await fhir(mixed);
    expect(both.status).toBe(200);
    const resources = both.json.entry.map((e: any) => e.resource);
    expect(resources.filter((r: any) => r.resourceType === 'RiskAssessment').map((r: any) => r.subject.reference)).toEqual(['Patient/a']);
    const outcome = resources.find((r: any) => r.resourceType === 'OperationOutcome');
    expect(outcome.issue).toContainEqual(expect.objectContaining({ severity: 'error', code: 'incomplete', diagnostics: expect.stringMatching(/^Patient\/p: not assessed, too little observed data: Age: not observed, but required/) }));
    expect(() => validateFhir(outcome)).not.toThrow();
  });

  it('says the language of the answer, and that it varies with Accept-Language', async () => {
    const res = await fetch(predictUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-language': 'de' }, body: JSON.stringify({ records: [patientA] }) });
    expect(res.headers.get('content-language')).toBe('de');
    expect(res.headers.get('vary')).toMatch(/Accept-Language/i);
  });
});
