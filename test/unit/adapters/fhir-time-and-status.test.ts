import { describe, expect, it } from 'vitest';
import { extractPatients } from '../../../adapters/fhir/extract-patients.js';
import { riskAssessment } from '../../../adapters/fhir/risk-assessment.js';
import { tabularSpecSchema } from '../../../adapters/tabular/tabular-spec.js';
import { validateFhir } from '../../helpers/fhir-validator.js';

/** Nothing dated after the reference time is used; censored values and statuses follow each feature's policy. */
const L = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const spec = tabularSpecSchema.parse({
  kind: 'tabular',
  input: 'x',
  features: [
    { name: 'chol', type: 'number', unit: 'mmol/L', missing: 'impute_in_graph', fhir: { source: 'observation', codes: [{ system: L, code: '14647-2' }] } },
    { name: 'chol_bound', type: 'number', unit: 'mmol/L', missing: 'impute_in_graph', fhir: { source: 'observation', codes: [{ system: L, code: '14647-2' }], comparator: 'bound' } },
    { name: 'glucose_high', type: 'boolean', missing: 'impute_in_graph', fhir: { source: 'observation', codes: [{ system: L, code: '77145-1' }], threshold: { above: 7, unit: 'mmol/L' } } },
    { name: 'chol_prelim', type: 'number', unit: 'mmol/L', missing: 'impute_in_graph', fhir: { source: 'observation', codes: [{ system: L, code: '14647-2' }], statuses: ['final', 'amended', 'corrected', 'preliminary'] } },
    { name: 'diabetes', type: 'boolean', missing: 'required', fhir: { source: 'condition', codes: [{ system: SCT, code: '44054006' }] } },
    { name: 'statin', type: 'boolean', missing: 'required', fhir: { source: 'medication', codes: [{ system: RX, code: '83367' }] } },
  ],
});
const at = new Date('2026-06-30T12:00:00Z');
const patient = { fullUrl: 'urn:uuid:p1', resource: { resourceType: 'Patient', id: 'p1' } };
const obs = (id: string, code: string, q: Record<string, unknown>, when: Record<string, unknown>, status = 'final') => ({
  resource: { resourceType: 'Observation', id, status, code: { coding: [{ system: L, code }] }, subject: { reference: 'Patient/p1' }, ...when, valueQuantity: { system: 'http://unitsofmeasure.org', code: 'mmol/L', unit: 'mmol/L', ...q } },
});
const condition = (id: string, extra: Record<string, unknown>) => ({ resource: { resourceType: 'Condition', id, subject: { reference: 'Patient/p1' }, code: { coding: [{ system: SCT, code: '44054006' }] }, ...extra } });
const medication = (id: string, extra: Record<string, unknown>) => ({ resource: { resourceType: 'MedicationStatement', id, status: 'active', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { coding: [{ system: RX, code: '83367' }] }, ...extra } });
const run = (...entries: unknown[]) => extractPatients(spec, { resourceType: 'Bundle', type: 'collection', entry: [patient, ...entries] }, at)[0]!;
const value = (p: ReturnType<typeof run>, name: string) => p.row.values[spec.features.findIndex((f) => f.name === name)];

describe('time: nothing after the reference time', () => {
  it('leaves out an Observation 20 h after the reference time (not in basis), with an issue', () => {
    const p = run(obs('old', '14647-2', { value: 5 }, { effectiveDateTime: '2026-06-01T08:00:00Z' }), obs('future', '14647-2', { value: 9 }, { effectiveDateTime: '2026-07-01T08:00:00Z' }));
    expect(value(p, 'chol')).toBe(5);
    expect(p.basis).not.toContain('Observation/future');
    expect(p.row.issues).toContainEqual(expect.objectContaining({ feature: 'chol', message: expect.stringMatching(/Observation\/future is dated after the reference time 2026-06-30T12:00:00.000Z \(effectiveDateTime\); not used/) }));
  });

  it('uses issued only when there is no effective time, and a period by its end', () => {
    const issuedOnly = run(obs('i', '14647-2', { value: 6 }, { issued: '2026-06-29T00:00:00Z' }));
    expect(value(issuedOnly, 'chol')).toBe(6);
    // effective before, issued after the reference time: the measurement was taken before, it counts.
    const both = run(obs('e', '14647-2', { value: 6.5 }, { effectiveDateTime: '2026-06-29T00:00:00Z', issued: '2026-07-02T00:00:00Z' }));
    expect(value(both, 'chol')).toBe(6.5);
    const period = run(obs('p', '14647-2', { value: 7 }, { effectivePeriod: { start: '2026-06-30T00:00:00Z', end: '2026-06-30T13:00:00Z' } }));
    expect(Number.isNaN(value(period, 'chol'))).toBe(true);
  });

  it('counts a Condition only from its onset (or recorded date), and not after it abated', () => {
    expect(value(run(condition('c', { onsetDateTime: '2025-01-01' })), 'diabetes')).toBe(1);
    expect(value(run(condition('c', { onsetDateTime: '2027-06-30' })), 'diabetes')).toBe(0);
    expect(value(run(condition('c', { recordedDate: '2026-07-15' })), 'diabetes')).toBe(0);
    expect(value(run(condition('c', { onsetDateTime: '2020-01-01', abatementDateTime: '2021-01-01' })), 'diabetes')).toBe(0);
    expect(run(condition('c', { onsetDateTime: '2027-06-30' })).basis).toEqual(['Patient/p1']);
  });

  it('counts a medication only within its period', () => {
    expect(value(run(medication('m', { effectivePeriod: { start: '2026-01-01' } })), 'statin')).toBe(1);
    expect(value(run(medication('m', { effectivePeriod: { start: '2026-07-01' } })), 'statin')).toBe(0);
    expect(value(run(medication('m', { effectivePeriod: { start: '2025-01-01', end: '2026-03-01' } })), 'statin')).toBe(0);
    expect(value(run(medication('m', { dateAsserted: '2026-08-01' })), 'statin')).toBe(0);
  });
});

describe('censored values (valueQuantity.comparator)', () => {
  it("refuses '>9 mmol/L' as a value by default, uses it as the bound when declared, and when it settles a threshold", () => {
    const p = run(
      obs('c', '14647-2', { value: 9, comparator: '>' }, { effectiveDateTime: '2026-06-29T00:00:00Z' }),
      obs('g', '77145-1', { value: 9, comparator: '>' }, { effectiveDateTime: '2026-06-29T00:00:00Z' }),
    );
    expect(Number.isNaN(value(p, 'chol'))).toBe(true);
    expect(p.row.issues).toContainEqual(expect.objectContaining({ feature: 'chol', severity: 'warning', message: expect.stringMatching(/Observation\/c is censored \(>9 mmol\/L\)/) }));
    expect(value(p, 'chol_bound')).toBe(9);
    expect(value(p, 'glucose_high')).toBe(1); // above 9 is above 7
    const unsettled = run(obs('g', '77145-1', { value: 9, comparator: '<' }, { effectiveDateTime: '2026-06-29T00:00:00Z' }));
    expect(Number.isNaN(value(unsettled, 'glucose_high'))).toBe(true); // below 9 may be above 7
    const below = run(obs('g', '77145-1', { value: 5, comparator: '<' }, { effectiveDateTime: '2026-06-29T00:00:00Z' }));
    expect(value(below, 'glucose_high')).toBe(0);
  });
});

describe('status policy, and the RiskAssessment status that follows', () => {
  it('leaves preliminary results out by default; a feature that accepts them makes the assessment preliminary', () => {
    const p = run(obs('pre', '14647-2', { value: 6 }, { effectiveDateTime: '2026-06-29T00:00:00Z' }, 'preliminary'));
    expect(Number.isNaN(value(p, 'chol'))).toBe(true);
    expect(p.row.issues).toContainEqual(expect.objectContaining({ feature: 'chol', message: expect.stringMatching(/status 'preliminary', which this model does not use \(final, amended, corrected\)/) }));
    expect(value(p, 'chol_prelim')).toBe(6);
    expect(p.status).toBe('preliminary');
    const final = run(obs('f', '14647-2', { value: 6 }, { effectiveDateTime: '2026-06-29T00:00:00Z' }, 'amended'));
    expect(final.status).toBe('final');

    const resource = riskAssessment({ name: 'm', version: '1', description: '' }, { reference: p.reference, probability: 0.3, basis: p.basis, outcomeText: 'x', contributions: [], status: p.status, imputed: ['chol', 'chol_bound'] }, undefined, at.toISOString());
    expect(resource.status).toBe('preliminary');
    expect(resource.extension).toEqual([
      { url: 'urn:clinfer:fhir:extension:imputed-feature', valueString: 'chol' },
      { url: 'urn:clinfer:fhir:extension:imputed-feature', valueString: 'chol_bound' },
    ]);
    expect(() => validateFhir(resource)).not.toThrow();
  });
});
