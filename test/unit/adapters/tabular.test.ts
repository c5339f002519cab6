import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import { linearContributions, readLinearModel } from '../../../adapters/tabular/explain.js';
import { extractPatients } from '../../../adapters/fhir/extract-patients.js';
import { pickLanguage } from '../../../adapters/tabular/language.js';
import { RecordsError, recordsToRows } from '../../../adapters/tabular/records.js';
import { parseTabularSpec, type TabularSpec } from '../../../adapters/tabular/tabular-spec.js';
import { convertUnit, validateUnit } from '../../../adapters/tabular/units.js';

const bundle = JSON.parse(readFileSync(new URL('../../../models/heart-disease-risk/1/bundle.json', import.meta.url), 'utf8'));
const spec = parseTabularSpec(bundle.preprocessing, { name: 'features', shape: [-1, 13] });

describe('tabular spec', () => {
  it('parses the demo bundle and checks it against the model input', () => {
    expect(spec.features.map((f) => f.name)).toHaveLength(13);
    expect(() => parseTabularSpec(bundle.preprocessing, { name: 'features', shape: [-1, 12] })).toThrow(/13 features declared, input 'features' has shape \[-1,12\]/);
    const badUnit = structuredClone(bundle.preprocessing);
    badUnit.features[3].unit = 'mmHg';
    expect(() => parseTabularSpec(badUnit, { name: 'features', shape: [-1, 13] })).toThrow("preprocessing.features[3]: 'mmHg' is not a valid UCUM unit");
    const reservedName = structuredClone(bundle.preprocessing);
    reservedName.features[2].name = 'constructor'; // would read Object.prototype's member wherever the name is absent
    expect(() => parseTabularSpec(reservedName, { name: 'features', shape: [-1, 13] })).toThrow("preprocessing.features.2.name: 'constructor' is a JavaScript Object member name; choose another feature name");
    const badMissing = structuredClone(bundle.preprocessing);
    badMissing.features[0].missing = 'sometimes';
    expect(() => parseTabularSpec(badMissing, { name: 'features', shape: [-1, 13] })).toThrow(/preprocessing\.features\.0\.missing/);
  });
});

describe('records', () => {
  const required: TabularSpec = { ...spec, features: spec.features.map((f, i) => (i === 0 ? { ...f, missing: 'required' as const } : f)) };
  it('refuses a required feature that is absent, and imputes a declared value', () => {
    expect(() => recordsToRows(required, { records: [{ sex: 1 }] })).toThrow('records[0].age: required, but no value was given');
    const imputing: TabularSpec = { ...spec, features: spec.features.map((f, i) => (i === 0 ? { ...f, missing: { impute: 50 } } : f)) };
    const [row] = recordsToRows(imputing, { records: [{}] });
    expect(row!.values[0]).toBe(50);
    expect(row!.imputed[0]).toBe(true);
    expect(Number.isNaN(row!.values[1])).toBe(true);
  });

  it("reads only a table's own category names: 'toString' or '__proto__' is an unknown category, as 'foo' is", () => {
    // Before: encoding['toString'] found Object.prototype.toString, and the refusal read "function toString() ...".
    for (const name of ['toString', '__proto__', 'constructor']) {
      expect(() => recordsToRows(spec, { records: [{ age: 63, sex: 'male', cp: name }] })).toThrow(`records[0].cp: '${name}' is not one of the categories 1 (typical_angina)`);
    }
    const fixture = readFileSync(new URL('../../fixtures/fhir/two-patients.json', import.meta.url), 'utf8');
    const odd = JSON.parse(fixture.replace('"code": "typical_angina"', '"code": "__proto__"').replace('"gender": "male"', '"gender": "constructor"'));
    const messages = extractPatients(spec, odd, new Date('2026-11-15T00:00:00Z'))[0]!.row.issues.map((i) => i.message);
    expect(messages).toContain("sex: Patient.gender 'constructor' has no value in the model; imputed by the model (training median)");
    expect(messages).toContainEqual(expect.stringMatching(/^cp: Observation\/a-cp has a coded value \(__proto__\) that is not one of typical_angina/));
  });
});

describe('linear contributions', () => {
  it('add up with the intercept to the log-odds the ONNX graph computes', async () => {
    const model = readLinearModel(bundle.postprocessing)!;
    const [row] = recordsToRows(spec, { records: [{ age: 63, sex: 1, cp: 1, trestbps: 145, chol: 233, fbs: 1, restecg: 2, thalach: 150, exang: 0, oldpeak: 2.3, slope: 3, ca: 0 }] });
    const all = linearContributions(spec, model, row!.values, row!.imputed);
    const logit = model.intercept + all.reduce((s, c) => s + c.contribution, 0);
    // thal was missing: the graph imputes the training median, and so does the explanation.
    expect(all.find((c) => c.feature === 'thal')).toMatchObject({ imputed: true, value: model.medians!.thal });
    const session = await ort.InferenceSession.create(new URL('../../../models/heart-disease-risk/1/model.onnx', import.meta.url).pathname);
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(row!.values), [1, 13]) });
    await session.release();
    expect(1 / (1 + Math.exp(-logit))).toBeCloseTo((out.probability!.data as Float32Array)[0]!, 5);
  });
});

describe('units and languages', () => {
  it('converts with UCUM, mass to substance with a molecular weight', () => {
    expect(convertUnit(200, 'mg/dL', 'mmol/L', 386.65)).toMatchObject({ ok: true, value: expect.closeTo(5.1726, 3) });
    expect(convertUnit(16, 'kPa', 'mm[Hg]')).toMatchObject({ ok: true, value: expect.closeTo(120.01, 1) });
    expect(convertUnit(5, 'mmol/L', 'mg/dL')).toMatchObject({ ok: false, reason: expect.stringMatching(/molecular weight/) });
    expect(convertUnit(5, 'mg/dL', 'mm[Hg]').ok).toBe(false);
  });

  it('refuses units that name an Object.prototype member, and never writes a unit string to the console', () => {
    // ucum-lhc passed 'toString' as valid and then threw a TypeError converting it (a fuzz run found it);
    // on strings it cannot parse it console.logs them. A unit comes from a request body.
    const log = vi.spyOn(console, 'log');
    try {
      for (const unit of ['toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty', 'mg.toString', 'toString/L', 'mmol/valueOf']) {
        expect(validateUnit(unit), unit).toBe(false);
        expect(convertUnit(6, unit, 'mg/dL', 386.65), unit).toMatchObject({ ok: false, reason: expect.stringMatching(/UCUM/) });
        expect(convertUnit(6, 'mmol/L', unit, 386.65), unit).toMatchObject({ ok: false });
      }
      expect(convertUnit(6, 'mg d L', 'mg/dL')).toMatchObject({ ok: false, reason: expect.stringMatching(/[Bb]lank spaces/) });
      expect(validateUnit('mg/{toString}')).toBe(true); // an annotation is free text
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
    const record = { records: [{ age: 63, sex: 'male', chol: { value: 6, unit: 'toString' }, cp: 'typical_angina' }] };
    expect(() => recordsToRows(spec, record)).toThrow(RecordsError);
    expect(() => recordsToRows(spec, record)).toThrow(/chol: toString cannot be converted to mg\/dL/);
    const badSpec = structuredClone(bundle.preprocessing);
    badSpec.features[4].unit = 'valueOf';
    expect(() => parseTabularSpec(badSpec, { name: 'features', shape: [-1, 13] })).toThrow("preprocessing.features[4]: 'valueOf' is not a valid UCUM unit");
  });

  it('picks en, fr or de from Accept-Language', () => {
    expect(pickLanguage(undefined)).toBe('en');
    expect(pickLanguage('fr-CH, fr;q=0.9, en;q=0.8')).toBe('fr');
    expect(pickLanguage('it, de;q=0.5')).toBe('de');
    expect(pickLanguage('ja')).toBe('en');
    expect(pickLanguage('de;q=0, fr;q=0.1')).toBe('fr');
  });
});
