import { describe, expect, it } from 'vitest';
import { extractPatients } from '../../../../adapters/fhir/extract-patients.js';
import { parseTabularSpec } from '../../../../adapters/tabular/tabular-spec.js';

const L = 'http://loinc.org';
const S = 'http://snomed.info/sct';
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const HBI = 'http://example.org/Questionnaire/harvey-bradshaw';

/** A relapse model's history features (IBD-like), one per source and aggregation. */
const features = [
  { name: 'crp_latest', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '1988-5' }], aggregate: 'latest', window_days: 365 } },
  { name: 'crp_slope', unit: 'mg/L/a', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '1988-5' }], aggregate: 'slope', unit: 'mg/L', window_days: 365, min_points: 3 } },
  { name: 'crp_days_above_10', unit: 'd', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '1988-5' }], aggregate: 'time_above', above: 10, unit: 'mg/L', window_days: 365 } },
  { name: 'sbp', unit: 'mm[Hg]', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '8480-6' }], aggregate: 'latest', window_days: 90 } },
  { name: 'flares_last_year', fhir: { source: 'history', resource: 'Condition', value_set: 'ibd_flare', aggregate: 'count', window_days: 365 } },
  { name: 'days_since_flare', unit: 'd', fhir: { source: 'history', resource: 'Condition', value_set: 'ibd_flare', aggregate: 'days_since_latest', window_days: 3650 } },
  { name: 'disease_days', unit: 'd', fhir: { source: 'history', resource: 'Condition', codes: [{ system: S, code: '34000006' }], aggregate: 'days_since_first', window_days: 36500 } },
  { name: 'inpatient_stays', fhir: { source: 'history', resource: 'Encounter', encounter_class: ['IMP'], aggregate: 'count', window_days: 365 } },
  { name: 'hospital_days', unit: 'd', fhir: { source: 'history', resource: 'Encounter', encounter_class: ['IMP'], aggregate: 'exposure_days', window_days: 365 } },
  { name: 'endoscopies', fhir: { source: 'history', resource: 'Procedure', codes: [{ system: S, code: '73761001' }], aggregate: 'count', window_days: 730 } },
  { name: 'biologic_days', unit: 'd', fhir: { source: 'history', resource: 'MedicationStatement', value_set: 'biologics', aggregate: 'exposure_days', window_days: 365 } },
  { name: 'biologic_since_start', unit: 'd', fhir: { source: 'history', resource: 'MedicationStatement', value_set: 'biologics', aggregate: 'days_since_first', window_days: 3650 } },
  { name: 'hbi', fhir: { source: 'history', resource: 'QuestionnaireResponse', questionnaire: HBI, link_id: 'total', aggregate: 'latest', window_days: 180 } },
  { name: 'current_smoker', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '72166-2' }], one_hot: [{ system: S, code: '77176002' }, { system: S, code: '449868002' }], aggregate: 'latest', window_days: 3650 } },
].map((f) => ({ type: 'number', missing: 'impute_in_graph', unit: 'mg/L', ...f }));

const raw = {
  kind: 'tabular',
  input: 'x',
  value_sets: {
    ibd_flare: [{ system: S, code: '397173006' }, { system: 'urn:example:flare', code: 'flare' }],
    biologics: [{ system: RX, code: '191831' }, { system: RX, code: '327361' }],
  },
  features,
};
const spec = parseTabularSpec(raw, { name: 'x', shape: [-1, features.length] });
const at = new Date('2026-06-30T00:00:00Z');
const subject = { reference: 'Patient/p1' };
let n = 0;
const entry = (resource: Record<string, unknown>) => ({ resource: { id: `r${++n}`, subject, ...resource } });
const crp = (date: string, value: number, unit = 'mg/L', extra: Record<string, unknown> = {}) =>
  entry({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: L, code: '1988-5' }] }, effectiveDateTime: date, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit }, ...extra });
const condition = (code: string, system: string, onset: string, extra: Record<string, unknown> = {}) =>
  entry({ resourceType: 'Condition', code: { coding: [{ system, code }] }, onsetDateTime: onset, ...extra });
const stay = (cls: string, start: string, end?: string, status = 'finished') =>
  entry({ resourceType: 'Encounter', status, class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls }, period: { start, ...(end ? { end } : {}) } });
const hbi = (authored: string, total: number, questionnaire = `${HBI}|1.0`) =>
  entry({ resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire, authored, item: [{ linkId: 'scores', item: [{ linkId: 'total', answer: [{ valueInteger: total }] }] }] });
const smoking = (date: string, code: string) =>
  entry({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: L, code: '72166-2' }] }, effectiveDateTime: date, valueCodeableConcept: { coding: [{ system: S, code }] } });

const bundle = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { resource: { resourceType: 'Patient', id: 'p1', birthDate: '1990-01-01' } },
    crp('2026-01-30', 10),
    crp('2026-03-31', 20),
    crp('2026-06-29', 0.5, 'mg/dL'), // 5 mg/L
    crp('2026-07-15', 99), // after the reference time
    crp('2026-05-01', 1, 'mg/L', { valueQuantity: { value: 1, comparator: '<', unit: 'mg/L', code: 'mg/L', system: 'http://unitsofmeasure.org' } }), // censored
    crp('2026-05-02', 50, 'mg/L', { status: 'preliminary' }),
    entry({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: L, code: '85354-9' }] }, effectiveDateTime: '2026-06-01', component: [
      { code: { coding: [{ system: L, code: '8480-6' }] }, valueQuantity: { value: 130, unit: 'mm[Hg]', code: 'mm[Hg]' } },
      { code: { coding: [{ system: L, code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mm[Hg]', code: 'mm[Hg]' } },
    ] }),
    condition('397173006', S, '2025-09-01'),
    condition('flare', 'urn:example:flare', '2026-02-01'),
    condition('397173006', S, '2024-01-01'), // before the one-year window
    condition('397173006', S, '2026-08-01'), // after the reference time
    condition('397173006', S, '2026-04-01', { verificationStatus: { coding: [{ code: 'refuted' }] } }),
    condition('34000006', S, '2016-06-30'),
    stay('IMP', '2025-12-01', '2025-12-05'),
    stay('AMB', '2026-03-01', '2026-03-03'),
    stay('IMP', '2025-05-01', '2025-05-10'), // ended before the window
    stay('IMP', '2026-06-20', undefined, 'in-progress'),
    stay('IMP', '2026-07-10', undefined, 'planned'),
    entry({ resourceType: 'Procedure', status: 'completed', code: { coding: [{ system: S, code: '73761001' }] }, performedDateTime: '2025-01-15' }),
    entry({ resourceType: 'Procedure', status: 'completed', code: { coding: [{ system: S, code: '73761001' }] }, performedPeriod: { start: '2026-05-10T09:00:00Z', end: '2026-05-10T10:00:00Z' } }),
    entry({ resourceType: 'Procedure', status: 'not-done', code: { coding: [{ system: S, code: '73761001' }] }, performedDateTime: '2026-06-01' }),
    entry({ resourceType: 'MedicationStatement', status: 'completed', medicationCodeableConcept: { coding: [{ system: RX, code: '191831' }] }, effectivePeriod: { start: '2025-03-01', end: '2025-09-30' } }),
    entry({ resourceType: 'MedicationStatement', status: 'active', medicationCodeableConcept: { coding: [{ system: RX, code: '327361' }] }, effectivePeriod: { start: '2026-05-01' } }),
    hbi('2026-06-15', 7),
    hbi('2026-07-01', 12), // after the reference time
    hbi('2026-06-20', 99, 'http://example.org/Questionnaire/other'),
    smoking('2026-01-01', '8517006'),
    smoking('2026-05-01', '449868002'),
  ],
};

describe('history features from FHIR resources (hand-computed)', () => {
  const [patient] = extractPatients(spec, bundle, at);
  const value = (name: string) => patient!.row.values[features.findIndex((f) => f.name === name)];

  it('Observation: latest (after unit conversion), least-squares slope per year, days above a threshold', () => {
    expect(value('crp_latest')).toBeCloseTo(5, 5); // 0.5 mg/dL on 2026-06-29
    // days from 2026-01-30: 0, 60, 150; values 10, 20, 5; x mean 70, y mean 35/3
    // Sxy = (-70)(-5/3) + (-10)(25/3) + (80)(-20/3) = (350 - 250 - 1600) / 3 = -500; Sxx = 4900 + 100 + 6400 = 11400
    // slope = -500 / 11400 per day x 365.25 = -16.0197... per year
    expect(value('crp_slope')).toBeCloseTo((-500 / 11400) * 365.25, 4);
    // 10 (not above 10) until 03-31, 20 from 03-31 to 06-29 (90 days), 5 after: 90 days
    expect(value('crp_days_above_10')).toBeCloseTo(90, 5);
  });

  it('Observation components are read', () => {
    expect(value('sbp')).toBe(130);
  });

  it('Condition: count of episodes in the window, days since the latest and the first onset', () => {
    expect(value('flares_last_year')).toBe(2); // 2025-09-01 and 2026-02-01
    expect(value('days_since_flare')).toBe(149); // 2026-02-01 -> 2026-06-30: 28 + 31 + 30 + 31 + 29
    expect(value('disease_days')).toBe(3652); // ten years with two 29 Februaries (2020, 2024)
  });

  it('Encounter: inpatient stays in the window and days in hospital (an open stay until the reference time)', () => {
    expect(value('inpatient_stays')).toBe(2);
    expect(value('hospital_days')).toBe(14); // 2025-12-01 -> 12-05: 4, 2026-06-20 -> 06-30: 10
  });

  it('Procedure: completed ones only', () => {
    expect(value('endoscopies')).toBe(2);
  });

  it('MedicationStatement: exposure days to a value set, clipped to the window; days since the first start', () => {
    // infliximab 2025-06-30 (window start) -> 2025-09-30: 30 + 31 + 31 = 92; adalimumab 2026-05-01 -> 06-30: 31 + 29 = 60
    expect(value('biologic_days')).toBe(152);
    // 2025-03-01 -> 2026-03-01: 365, -> 2026-06-30: 31 + 30 + 31 + 29 = 121
    expect(value('biologic_since_start')).toBe(486);
  });

  it('QuestionnaireResponse: a nested item by linkId of the named questionnaire (version ignored)', () => {
    expect(value('hbi')).toBe(7);
  });

  it('a coded value one-hot encoded from a list of codes', () => {
    expect(value('current_smoker')).toBe(1);
  });

  it('nothing after the reference time is used, and what was left out is said', () => {
    const messages = patient!.row.issues.map((i) => i.message);
    expect(patient!.basis).not.toContain('Observation/r4'); // CRP of 2026-07-15
    expect(messages.some((m) => m.includes('Observation/r4') && m.includes('after the reference time'))).toBe(true);
    expect(messages.some((m) => m.includes('Observation/r5') && m.includes('censored'))).toBe(true);
    expect(messages.some((m) => m.includes('Observation/r6') && m.includes("'preliminary'"))).toBe(true);
    expect(patient!.status).toBe('final');
  });

  it('too few points is absent, never invented', () => {
    const [p] = extractPatients(spec, { ...bundle, entry: bundle.entry.filter((e) => !('code' in e.resource) || (e.resource as { id: string }).id !== 'r2') }, at);
    expect(Number.isNaN(p!.row.values[1]!)).toBe(true); // two CRP values left, min_points 3
    expect(p!.row.issues.some((i) => i.feature === 'crp_slope' && i.message.includes('a slope needs 3'))).toBe(true);
  });
});

describe('history features are checked when the bundle loads', () => {
  const load = (f: Record<string, unknown>, sets: Record<string, unknown> = {}) => () =>
    parseTabularSpec({ kind: 'tabular', input: 'x', value_sets: sets, features: [{ name: 'f', type: 'number', missing: 'impute_in_graph', fhir: { source: 'history', window_days: 30, ...f } }] }, { name: 'x', shape: [-1, 1] });
  it('names the field and what is expected', () => {
    expect(load({ resource: 'Condition', value_set: 'nope', aggregate: 'count' })).toThrow("preprocessing.features[0].fhir.value_set: 'nope' is not in preprocessing.value_sets (none declared)");
    // Own entries only: 'toString' passed this check and every request to the model then threw a TypeError (a 500).
    expect(load({ resource: 'Condition', value_set: 'toString', aggregate: 'count' })).toThrow("preprocessing.features[0].fhir.value_set: 'toString' is not in preprocessing.value_sets (none declared)");
    expect(load({ resource: 'Condition', value_set: 'constructor', aggregate: 'count' }, { ibd: [{ system: S, code: '1' }] })).toThrow("'constructor' is not in preprocessing.value_sets (ibd)");
    expect(load({ resource: 'Condition', codes: [{ system: S, code: '1' }], aggregate: 'mean' })).toThrow('preprocessing.features[0].fhir.aggregate: a Condition has no value to take the mean of');
    expect(load({ resource: 'QuestionnaireResponse', aggregate: 'latest' })).toThrow('fhir.link_id: a QuestionnaireResponse feature names the item');
    expect(load({ resource: 'Observation', aggregate: 'latest' })).toThrow('fhir.codes: a Observation feature needs codes or a value_set');
    expect(load({ resource: 'Observation', codes: [{ system: L, code: '1' }], aggregate: 'time_above' })).toThrow('fhir.above: time_above needs the threshold');
    expect(load({ resource: 'Procedure', codes: [{ system: S, code: '1' }], aggregate: 'exposure_days' })).toThrow('exposure_days reads periods');
    expect(load({ resource: 'Observation', codes: [{ system: L, code: '1' }], aggregate: 'latest', unit: 'furlongs' })).toThrow("fhir.unit: 'furlongs' is not a valid UCUM unit");
    const slope = { name: 'f', type: 'number', unit: 'mg/L/a', missing: 'impute_in_graph', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '1988-5' }], aggregate: 'slope', window_days: 30 } };
    expect(() => parseTabularSpec({ kind: 'tabular', input: 'x', features: [slope] }, { name: 'x', shape: [-1, 1] })).toThrow(`preprocessing.features[0].fhir.unit: 'mg/L/a' is the unit of the slope; say in "unit" which unit the values are converted into`);
    expect(() => parseTabularSpec({ kind: 'tabular', input: 'x', features: [{ ...slope, fhir: { ...slope.fhir, unit: 'mg/L' } }] }, { name: 'x', shape: [-1, 1] })).not.toThrow();
  });
});

describe('medication requests and administrations, previous and delta (hand-computed)', () => {
  const feats = [
    { name: 'crp_previous', unit: 'mg/L', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '1988-5' }], aggregate: 'previous', window_days: 365 } },
    { name: 'crp_delta', unit: 'mg/L', fhir: { source: 'history', resource: 'Observation', codes: [{ system: L, code: '1988-5' }], aggregate: 'delta', window_days: 365 } },
    { name: 'prescribed_days', unit: 'd', fhir: { source: 'history', resource: 'MedicationRequest', value_set: 'biologics', aggregate: 'exposure_days', window_days: 365 } },
    { name: 'infusions', fhir: { source: 'history', resource: 'MedicationAdministration', value_set: 'biologics', aggregate: 'count', window_days: 365 } },
    { name: 'days_since_infusion', unit: 'd', fhir: { source: 'history', resource: 'MedicationAdministration', value_set: 'biologics', aggregate: 'days_since_latest', window_days: 365 } },
  ].map((f) => ({ type: 'number', missing: 'impute_in_graph', ...f }));
  const s = parseTabularSpec({ ...raw, features: feats }, { name: 'x', shape: [-1, feats.length] });
  const infliximab = { coding: [{ system: RX, code: '191831' }] };
  const b = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      ...bundle.entry.slice(0, 4), // the Patient and the CRPs of 01-30, 03-31, 06-29 (and 07-15, after the reference time)
      entry({ resourceType: 'MedicationRequest', status: 'completed', medicationCodeableConcept: infliximab, authoredOn: '2025-12-20', dispenseRequest: { validityPeriod: { start: '2026-01-01', end: '2026-03-01' } } }),
      entry({ resourceType: 'MedicationRequest', status: 'active', medicationCodeableConcept: infliximab, authoredOn: '2026-06-01' }),
      entry({ resourceType: 'MedicationRequest', status: 'cancelled', medicationCodeableConcept: infliximab, authoredOn: '2026-05-01' }),
      entry({ resourceType: 'MedicationAdministration', status: 'completed', medicationCodeableConcept: infliximab, effectiveDateTime: '2026-02-01T10:00:00Z' }),
      entry({ resourceType: 'MedicationAdministration', status: 'completed', medicationCodeableConcept: infliximab, effectivePeriod: { start: '2026-04-01T00:00:00Z', end: '2026-04-01T02:00:00Z' } }),
      entry({ resourceType: 'MedicationAdministration', status: 'completed', medicationCodeableConcept: infliximab, effectiveDateTime: '2026-07-01T10:00:00Z' }),
    ],
  };
  const [p] = extractPatients(s, b, at);
  const value = (name: string) => p!.row.values[feats.findIndex((f) => f.name === name)];

  it('previous and delta', () => {
    expect(value('crp_previous')).toBe(20); // 2026-03-31
    expect(value('crp_delta')).toBeCloseTo(-15, 5); // 5 - 20
  });
  it('MedicationRequest: a dispense validity period, or from authoredOn on (still taken); cancelled ones not', () => {
    // 2026-01-01 -> 03-01: 31 + 28 = 59 days; 2026-06-01 -> 06-30: 29 days
    expect(value('prescribed_days')).toBe(88);
    expect(p!.row.issues.some((i) => i.message.includes("status 'cancelled'"))).toBe(true);
  });
  it('MedicationAdministration: count and days since the latest, none after the reference time', () => {
    expect(value('infusions')).toBe(2);
    expect(value('days_since_infusion')).toBe(90); // from the period's start, 2026-04-01T00:00, to 06-30: 30 + 31 + 29
  });
});

describe('periods still going at the reference time', () => {
  const feats = [
    { name: 'courses', fhir: { source: 'history', resource: 'MedicationStatement', value_set: 'biologics', aggregate: 'count', window_days: 365 } },
    { name: 'days_on', unit: 'd', fhir: { source: 'history', resource: 'MedicationStatement', value_set: 'biologics', aggregate: 'exposure_days', window_days: 365 } },
    { name: 'stays', fhir: { source: 'history', resource: 'Encounter', encounter_class: ['IMP'], aggregate: 'count', window_days: 30 } },
  ].map((f) => ({ type: 'number', missing: 'impute_in_graph', ...f }));
  const s = parseTabularSpec({ ...raw, features: feats }, { name: 'x', shape: [-1, feats.length] });
  it('count when they began before the window, and cover the whole window', () => {
    const b = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        bundle.entry[0]!,
        entry({ resourceType: 'MedicationStatement', status: 'active', medicationCodeableConcept: { coding: [{ system: RX, code: '327361' }] }, effectivePeriod: { start: '2024-01-01' } }),
        stay('IMP', '2026-05-01'), // admitted two months ago, still in hospital
        stay('IMP', '2026-04-01', '2026-04-10'), // ended before the 30-day window
      ],
    };
    const [p] = extractPatients(s, b, at);
    expect(p!.row.values).toEqual([1, 365, 1]);
  });
});
