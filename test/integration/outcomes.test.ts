import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { metricValue } from '../helpers/metrics.js';
import { DEMO_MODELS, FIXTURES, postJson, startTestServer } from '../helpers/server.js';

/**
 * The outcome API: predictions of the demo heart model (real ONNX Runtime) are recorded with their request
 * id; outcomes reported later join them, and the live gauges move to the figures computed here by hand.
 */
const MODEL = 'heart-disease-risk';
const dir = mkdtempSync(join(tmpdir(), 'clinfer-outcomes-'));
const database = join(dir, 'outcomes.sqlite');
let server: ClinferServer;
const labels = { model: MODEL, version: '1' };

const predict = async (records: object[], requestId?: string) => {
  const r = await postJson(`${server.url}/v1/models/${MODEL}/predict`, { records }, requestId ? { 'x-request-id': requestId } : {});
  expect(r.status, r.text).toBe(200);
  return { id: r.headers.get('x-request-id')!, probabilities: (r.json.predictions as Array<{ probability: number }>).map((p) => p.probability) };
};
const outcome = (body: unknown, model = MODEL) => postJson(`${server.url}/v1/models/${model}/outcomes`, body);

/** P(score of a positive > score of a negative), ties 1/2, by counting every pair. */
function aucByPairs(scores: number[], ys: number[]): number {
  let wins = 0;
  let pairs = 0;
  ys.forEach((yp, i) => ys.forEach((yn, j) => {
    if (yp !== 1 || yn !== 0) return;
    pairs++;
    wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
  }));
  return wins / pairs;
}

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS, { outcomeDatabase: database, outcomeRetentionDays: 30 });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/models/{m}/outcomes', () => {
  const seen: Array<{ id: string; p: number; y: 0 | 1 }> = [];

  it('joins outcomes to recorded predictions and moves the live AUC, calibration and positive-rate gauges to the hand-computed figures', async () => {
    const patients = [
      { age: 38, sex: 'female', trestbps: 120, chol: 190, thalach: 175 },
      { age: 45, sex: 'male', trestbps: 130, chol: 230, thalach: 160 },
      { age: 52, sex: 'male', trestbps: 140, chol: 260, thalach: 140, exang: 1 },
      { age: 60, sex: 'female', trestbps: 150, chol: 280, thalach: 130 },
      { age: 67, sex: 'male', trestbps: 160, chol: 300, thalach: 110, exang: 1, oldpeak: 2.5 },
      { age: 71, sex: 'male', trestbps: 145, chol: 240, thalach: 120, oldpeak: 1 },
    ];
    // Observed outcomes, not in score order, so that the AUC is neither 0 nor 1.
    const ys: Array<0 | 1> = [0, 1, 0, 0, 1, 1];
    for (const [i, record] of patients.entries()) {
      const { id, probabilities } = await predict([record]);
      seen.push({ id, p: probabilities[0]!, y: ys[i]! });
    }
    expect(await metricValue(server.url, 'clinfer_live_outcomes', labels)).toBe(0);
    for (const s of seen.slice(0, 3)) expect((await outcome({ request_id: s.id, label: s.y })).json).toMatchObject({ model_version: '1', label: s.y, previous_label: null });
    for (const s of seen.slice(3)) expect((await outcome({ request_id: s.id, label: s.y === 1 })).status).toBe(200);

    const scores = seen.map((s) => s.p);
    const expectedAuc = aucByPairs(scores, ys);
    expect(expectedAuc).toBeGreaterThan(0);
    expect(expectedAuc).toBeLessThan(1);
    expect(await metricValue(server.url, 'clinfer_live_outcomes', labels)).toBe(6);
    expect(await metricValue(server.url, 'clinfer_live_roc_auc', labels)).toBeCloseTo(expectedAuc, 10);
    expect(await metricValue(server.url, 'clinfer_live_calibration_observed_expected', labels)).toBeCloseTo(3 / scores.reduce((a, b) => a + b, 0), 10);
    expect(await metricValue(server.url, 'clinfer_live_positive_rate', labels)).toBeCloseTo(0.5, 10);
    // The alert's reference: the bundle's declared AUC (0.8275) minus its tolerance (0.05).
    expect(await metricValue(server.url, 'clinfer_validated_roc_auc_floor', labels)).toBeCloseTo(0.7775, 10);
  });

  it('a corrected outcome replaces the first and says so; the gauge follows', async () => {
    const first = seen[0]!;
    const r = await outcome({ request_id: first.id, label: 1 });
    expect(r.json).toMatchObject({ label: 1, previous_label: 0 });
    const ys = seen.map((s, i) => (i === 0 ? 1 : s.y));
    expect(await metricValue(server.url, 'clinfer_live_roc_auc', labels)).toBeCloseTo(aucByPairs(seen.map((s) => s.p), ys), 10);
  });

  it('a request of several records needs the index of the one the outcome is for', async () => {
    const { id, probabilities } = await predict([{ age: 50, sex: 'male' }, { age: 58, sex: 'female' }], 'two-records-1');
    expect(id).toBe('two-records-1');
    expect(probabilities).toHaveLength(2);
    const without = await outcome({ request_id: id, label: 1 });
    expect(without.status).toBe(400);
    expect(without.json).toMatchObject({ code: 'INVALID_REQUEST', error: expect.stringMatching(/predicted 2 records: 'index' must say which one \(0 to 1\)/) });
    expect((await outcome({ request_id: id, index: 2, label: 1 })).json.error).toMatch(/'index' 2 is out of range/);
    expect((await outcome({ request_id: id, index: 1, label: 0 })).status).toBe(200);
    expect(await metricValue(server.url, 'clinfer_live_outcomes', labels)).toBe(7);
  });

  it.each([
    [{ request_id: 'never-seen', label: 1 }, 404, 'PREDICTION_NOT_FOUND', /no prediction of model 'heart-disease-risk' is on record under that request_id/],
    [{ request_id: 'a', risk_assessment_id: 'b', label: 1 }, 400, 'INVALID_REQUEST', /exactly one of 'request_id'/],
    [{ label: 1 }, 400, 'INVALID_REQUEST', /exactly one of 'request_id'/],
    [{ request_id: 'two-records-1', index: 0, label: 'positive' }, 400, 'INVALID_REQUEST', /'label' \(the observed outcome\) must be 0 or 1/],
    [{ request_id: 'two-records-1', index: -1, label: 1 }, 400, 'INVALID_REQUEST', /'index'/],
    [{ request_id: 42, label: 1 }, 400, 'INVALID_REQUEST', /'request_id' must be a string/],
    [[1], 400, 'INVALID_REQUEST', /must be a JSON object/],
  ])('refuses %j with %i %s', async (body, status, code, message) => {
    const r = await outcome(body);
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ code, error: expect.stringMatching(message) });
  });

  it("an outcome is joined only to the model's own predictions", async () => {
    const r = await outcome({ request_id: seen[1]!.id, label: 1 }, 'another-model');
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('PREDICTION_NOT_FOUND');
  });

  it('joins an outcome to a FHIR RiskAssessment by its id', async () => {
    const res = await fetch(`${server.url}/v1/models/${MODEL}/predict`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: readFileSync(join(FIXTURES, 'fhir/two-patients.json')) });
    expect(res.status).toBe(200);
    const assessments = ((await res.json()) as { entry: Array<{ resource: { resourceType: string; id: string } }> }).entry.map((e) => e.resource).filter((r) => r.resourceType === 'RiskAssessment');
    expect(assessments).toHaveLength(2);
    const r = await outcome({ risk_assessment_id: assessments[1]!.id, label: 1 });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ model_version: '1', label: 1, previous_label: null });
    // The RiskAssessment id is not a request id: asked under the other name, nothing is found.
    expect((await outcome({ request_id: assessments[0]!.id, label: 1 })).json.code).toBe('PREDICTION_NOT_FOUND');
    expect(await metricValue(server.url, 'clinfer_live_outcomes', labels)).toBe(8);
  });

  it('keeps digests and scores only: no request id in the database, one schema version recorded', () => {
    const db = new Database(database, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM predictions').all() as Array<Record<string, unknown>>;
      expect(rows.length).toBe(10);
      expect(Object.keys(rows[0]!).sort()).toEqual(['id_digest', 'label', 'labelled_at', 'model', 'predicted_at', 'row_index', 'score', 'version']);
      const text = JSON.stringify(rows);
      for (const s of seen) expect(text).not.toContain(s.id);
      expect(text).not.toContain('two-records-1');
      expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }]);
    } finally {
      db.close();
    }
  });
});
