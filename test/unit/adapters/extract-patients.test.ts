import { describe, expect, it } from 'vitest';
import { extractPatients } from '../../../adapters/fhir/extract-patients.js';
import { tabularSpecSchema } from '../../../adapters/tabular/tabular-spec.js';

const L = 'http://loinc.org';
const spec = tabularSpecSchema.parse({
  kind: 'tabular',
  input: 'x',
  features: [
    { name: 'age', type: 'number', unit: 'a', missing: 'required', fhir: { source: 'patient_age' } },
    { name: 'sbp_mean', type: 'number', unit: 'mm[Hg]', missing: 'impute_in_graph', fhir: { source: 'observation', codes: [{ system: L, code: '8480-6' }], pick: 'mean', lookback_days: 30 } },
    { name: 'sbp_max', type: 'number', unit: 'mm[Hg]', missing: 'impute_in_graph', fhir: { source: 'observation', codes: [{ system: L, code: '8480-6' }], pick: 'max', lookback_days: 30 } },
    { name: 'diabetes', type: 'boolean', missing: 'required', fhir: { source: 'condition', codes: [{ system: 'http://snomed.info/sct', code: '44054006' }] } },
    { name: 'statin', type: 'boolean', missing: 'required', fhir: { source: 'medication', codes: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '83367' }] } },
  ],
});
const at = new Date('2026-06-30T00:00:00Z');
const sbp = (id: string, value: number, unit: string, date: string, status = 'final') => ({
  resource: { resourceType: 'Observation', id, status, code: { coding: [{ system: L, code: '8480-6' }] }, subject: { reference: 'urn:uuid:p1' }, effectiveDateTime: date, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit } },
});

describe('extractPatients', () => {
  const bundle = {
    resourceType: 'Bundle', type: 'collection',
    entry: [
      { fullUrl: 'urn:uuid:p1', resource: { resourceType: 'Patient', birthDate: '1960-07-01' } },
      sbp('o1', 120, 'mm[Hg]', '2026-06-20'),
      sbp('o2', 18.6651, 'kPa', '2026-06-25'), // 140 mm[Hg]
      sbp('o3', 300, 'mm[Hg]', '2026-06-26', 'entered-in-error'),
      sbp('o4', 200, 'mm[Hg]', '2026-01-01'), // outside the 30-day look-back
      { resource: { resourceType: 'Condition', id: 'c1', subject: { reference: 'urn:uuid:p1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] }, clinicalStatus: { coding: [{ code: 'active' }] } } },
      { resource: { resourceType: 'MedicationStatement', id: 'm1', status: 'stopped', subject: { reference: 'urn:uuid:p1' }, medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '83367' }] } } },
    ],
  };

  it('follows fullUrl references, converts units, applies look-back, status and pick rules', () => {
    const [p] = extractPatients(spec, bundle, at);
    expect(p!.reference).toBe('urn:uuid:p1');
    const [age, mean, max, diabetes, statin] = p!.row.values;
    expect(age).toBe(65);
    expect(mean).toBeCloseTo(130, 2);
    expect(max).toBeCloseTo(140, 2);
    expect(diabetes).toBe(1);
    expect(statin).toBe(0); // a stopped medication is not current
    expect(p!.basis).toEqual(['urn:uuid:p1', 'Observation/o2', 'Observation/o1', 'Condition/c1']);
    expect(p!.row.issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('reports a required feature it cannot find, with where', () => {
    const noBirth = structuredClone(bundle);
    delete (noBirth.entry[0]!.resource as { birthDate?: string }).birthDate;
    const [p] = extractPatients(spec, noBirth, at);
    expect(p!.row.issues).toContainEqual(expect.objectContaining({ severity: 'error', code: 'required', message: 'age: required, but Patient.birthDate is absent', expression: 'Bundle.entry[0].resource' }));
  });
});
