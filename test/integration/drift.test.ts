import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { metricValue } from '../helpers/metrics.js';
import { DEMO_MODELS, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Drift monitoring: live inputs and outputs against the training distributions the bundle carries.
 * Patients like the training population keep the index low; a shifted population raises it.
 */
const repo = new TempRepository().addDemo('heart-disease-risk');
let server: ClinferServer;

// Draws from the training distribution of each feature, by inverting the bundle's reference histograms.
let reference: Record<string, { edges: number[]; proportions: number[]; missing: number }>;
let seed = 7;
const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
function draw(name: string, shift = 0): number | null {
  const h = reference[name]!;
  if (random() < h.missing) return null;
  let u = random();
  let bin = 0;
  while (bin < h.proportions.length - 1 && u > h.proportions[bin]!) u -= h.proportions[bin++]!;
  const lo = bin === 0 ? h.edges[0]! - 1 : h.edges[bin - 1]!;
  const hi = bin === h.edges.length ? h.edges.at(-1)! + 1 : h.edges[bin]!;
  return lo + (hi - lo) * random() + shift;
}
const FEATURES = ['age', 'sex', 'cp', 'trestbps', 'chol', 'fbs', 'restecg', 'thalach', 'exang', 'oldpeak', 'slope', 'ca', 'thal'];

beforeAll(async () => {
  server = await startTestServer(repo.root);
  reference = JSON.parse(readFileSync(`${repo.root}/heart-disease-risk/1/bundle.json`, 'utf8')).monitoring.drift_reference.features;
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

async function send(rows: number, shift: (name: string) => number) {
  // Through the OIP endpoint, 50 rows per request, NaN for missing: the tabular input is observed there too.
  for (let sent = 0; sent < rows; sent += 50) {
    const data = Array.from({ length: 50 }, () => FEATURES.map((f) => draw(f, shift(f)) ?? Number.NaN));
    const res = await fetch(`${server.url}/v2/models/heart-disease-risk/infer`, {
      method: 'POST', headers: { 'inference-header-content-length': '0' }, body: Buffer.from(Float32Array.from(data.flat()).buffer),
    });
    expect(res.status).toBe(200);
  }
}

describe('drift', () => {
  it('says nothing until enough rows are seen', async () => {
    const { json } = await getJson(`${server.url}/v1/models/heart-disease-risk/drift`);
    expect(json).toMatchObject({ observed: 0, psi: {}, note: expect.stringMatching(/fewer than 100 rows/) });
  });

  it('stays low for patients like the training population, and rises for shifted ones', async () => {
    await send(1000, () => 0);
    const calm = (await getJson(`${server.url}/v1/models/heart-disease-risk/drift`)).json;
    expect(calm.observed).toBe(1000);
    for (const f of FEATURES) expect(calm.psi[f], f).toBeLessThan(0.1);
    // The output is tracked too; its value is not checked here because these rows draw each feature
    // independently, which does not reproduce the training population's joint distribution.
    expect(typeof calm.psi._output).toBe('number');

    // An older, hypercholesterolaemic population: age +15 years, cholesterol +80 mg/dL.
    await send(1000, (f) => (f === 'age' ? 15 : f === 'chol' ? 80 : 0));
    const { json } = await getJson(`${server.url}/v1/models/heart-disease-risk/drift`);
    expect(json.psi.age).toBeGreaterThan(0.25);
    expect(json.psi.chol).toBeGreaterThan(0.25);
    expect(json.psi.sex).toBeLessThan(0.1);
    expect(json.shifted).toEqual(expect.arrayContaining(['age', 'chol']));
    expect(await metricValue(server.url, 'clinfer_drift_psi', { model: 'heart-disease-risk', version: '1', feature: 'age' })).toBe(json.psi.age);
  });

  it('also counts rows predicted through /v1 records', async () => {
    const before = (await getJson(`${server.url}/v1/models/heart-disease-risk/drift`)).json.observed;
    expect(before).toBe(1000);
    const res = await postJson(`${server.url}/v1/models/heart-disease-risk/predict`, { records: [{ age: 50 }] });
    expect(res.status).toBe(200);
    // The window is full (1000): the oldest row left it, the count stays.
    expect((await getJson(`${server.url}/v1/models/heart-disease-risk/drift`)).json.observed).toBe(1000);
  });

  it('tracks the intensity histogram of images, and answers 400 for a model without a reference', async () => {
    const other = new TempRepository().addDemo('chest-xray-pneumonia').add('bare', '1', { 'model.onnx': { copy: `${DEMO_MODELS}/heart-disease-risk/1/model.onnx` } });
    const s = await startTestServer(other.root);
    const intensity = JSON.parse(readFileSync(`${other.root}/chest-xray-pneumonia/1/bundle.json`, 'utf8')).monitoring.drift_reference.input_intensity;
    // Images whose pixels follow the training intensity distribution, then over-exposed ones (+0.6).
    const image = (shift: number) => Array.from({ length: 784 }, () => {
      let u = random();
      let bin = 0;
      while (bin < intensity.proportions.length - 1 && u > intensity.proportions[bin]) u -= intensity.proportions[bin++];
      const lo = bin === 0 ? -1 : intensity.edges[bin - 1];
      const hi = bin === intensity.edges.length ? 1 : intensity.edges[bin];
      return lo + (hi - lo) * random() + shift;
    });
    const post = (shift: number) => postJson(`${s.url}/v2/models/chest-xray-pneumonia/infer`, { inputs: [{ name: 'image', shape: [4, 1, 28, 28], datatype: 'FP32', data: [image(shift), image(shift), image(shift), image(shift)].flat() }] });
    try {
      for (let i = 0; i < 260; i++) expect((await post(0)).status).toBe(200);
      const calm = (await getJson(`${s.url}/v1/models/chest-xray-pneumonia/drift`)).json;
      expect(calm.psi._intensity).toBeLessThan(0.1);
      for (let i = 0; i < 260; i++) await post(0.6);
      const bright = (await getJson(`${s.url}/v1/models/chest-xray-pneumonia/drift`)).json;
      expect(bright.psi._intensity).toBeGreaterThan(0.25);
      expect(typeof bright.psi._output).toBe('number');
      const none = await getJson(`${s.url}/v1/models/bare/drift`);
      expect(none.status).toBe(400);
      expect(none.json.error).toMatch(/carries no drift reference/);
    } finally {
      await s.close();
      other.remove();
    }
  });
});
