import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { bundleJson } from '../helpers/bundle.js';
import { metricValue } from '../helpers/metrics.js';
import { FIXTURES, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Pipelines (bundle.json `pipeline`, runtime/pool/pipeline-runner.ts) over real HTTP and real ONNX Runtime
 * workers. make_pipeline_steps.py: pipeline_standardise.onnx x [N,4] -> z = (x - mean) / std, and
 * pipeline_logreg.onnx z [N,4] -> p = sigmoid(z . w + b) [N,1]. The pipeline must answer what the two
 * models answer when called one after the other, through clinfer and directly through onnxruntime-node.
 */
const STANDARDISE = join(FIXTURES, 'generated/pipeline_standardise.onnx');
const LOGREG = join(FIXTURES, 'generated/pipeline_logreg.onnx');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const step = (inputs: Record<string, string>, extra: Record<string, unknown> = {}) => ({ name: 'classifier', file: 'logreg.onnx', sha256: sha(LOGREG), inputs, ...extra });
const pipelineBundle = (name: string, pipeline: Record<string, unknown>, patch: Record<string, unknown> = {}) => ({
  'model.onnx': { copy: STANDARDISE },
  'logreg.onnx': { copy: LOGREG },
  'bundle.json': bundleJson(name, '1', STANDARDISE, { pipeline, ...patch }),
});

const repo = new TempRepository()
  .add('standardise', '1', { 'model.onnx': { copy: STANDARDISE }, 'bundle.json': bundleJson('standardise', '1', STANDARDISE) })
  .add('logreg', '1', { 'model.onnx': { copy: LOGREG }, 'bundle.json': bundleJson('logreg', '1', LOGREG) })
  // A queue delay so that concurrent requests run as one batch through both steps.
  .add('scored', '1', pipelineBundle('scored', { steps: [step({ z: 'model.z' })], outputs: { probability: 'classifier.p', z: 'model.z' } }, { max_batch_size: 8, scheduling: { max_queue_delay_us: 300_000 } }))
  .add('unknown-output', '1', pipelineBundle('unknown-output', { steps: [step({ z: 'model.q' })], outputs: { p: 'classifier.p' } }))
  .add('unwired', '1', pipelineBundle('unwired', { steps: [step({})], outputs: { p: 'classifier.p' } }))
  .add('not-an-input', '1', pipelineBundle('not-an-input', { steps: [step({ z: 'model.z', extra: 'model.z' })], outputs: { p: 'classifier.p' } }))
  .add('later-step', '1', pipelineBundle('later-step', { steps: [step({ z: 'calibrate.z' })], outputs: { p: 'classifier.p' } }))
  .add('bad-step-sha', '1', pipelineBundle('bad-step-sha', { steps: [step({ z: 'model.z' }, { sha256: '0'.repeat(64) })], outputs: { p: 'classifier.p' } }))
  .add('no-output', '1', pipelineBundle('no-output', { steps: [step({ z: 'model.z' })], outputs: { p: 'classifier.nope' } }));
let server: ClinferServer;
let first: ort.InferenceSession;
let second: ort.InferenceSession;

beforeAll(async () => {
  server = await startTestServer(repo.root);
  first = await ort.InferenceSession.create(STANDARDISE);
  second = await ort.InferenceSession.create(LOGREG);
});
afterAll(async () => {
  await server?.close();
  await first?.release();
  await second?.release();
  repo.remove();
});

/** Rows of 4 features (age, blood pressure, cholesterol, heart rate), different per seed. */
const rows = (n: number, seed: number) => Float32Array.from({ length: n * 4 }, (_, i) => Math.fround([54, 131, 246, 149][i % 4]! + 30 * Math.sin(seed * 3.7 + i * 1.1)));

async function infer(model: string, name: string, x: Float32Array, n: number) {
  const res = await postJson(`${server.url}/v2/models/${model}/infer`, { inputs: [{ name, datatype: 'FP32', shape: [n, 4], data: Array.from(x) }] });
  expect(res.status, res.text).toBe(200);
  return res.json.outputs as { name: string; datatype: string; shape: number[]; data: number[] }[];
}

async function direct(x: Float32Array, n: number): Promise<Float32Array> {
  const z = (await first.run({ x: new ort.Tensor('float32', x, [n, 4]) })).z!;
  return (await second.run({ z })).p!.data as Float32Array;
}

const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-6);
};

describe('a two-step pipeline', () => {
  it('answers what the two models answer called one after the other, through clinfer and directly', async () => {
    const x = rows(3, 1);
    const piped = await infer('scored', 'x', x, 3);
    const probability = piped.find((o) => o.name === 'probability')!;
    expect(probability).toMatchObject({ datatype: 'FP32', shape: [3, 1] });

    const [z] = await infer('standardise', 'x', x, 3);
    const [p] = await infer('logreg', 'z', Float32Array.from(z!.data), 3);
    expectClose(probability.data, p!.data);
    expectClose(probability.data, await direct(x, 3));
    // The intermediate tensor declared as an output comes back too, equal to step 1's own answer.
    expectClose(piped.find((o) => o.name === 'z')!.data, z!.data);
    // Not a trivial agreement: the rows give different probabilities, none 0 or 1.
    expect(new Set(probability.data).size).toBe(3);
    for (const v of probability.data) expect(v > 0.001 && v < 0.999).toBe(true);
  });

  it('returns only the outputs asked for', async () => {
    const res = await postJson(`${server.url}/v2/models/scored/infer`, { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: Array.from(rows(1, 2)) }], outputs: [{ name: 'probability' }] });
    expect(res.status, res.text).toBe(200);
    expect(res.json.outputs.map((o: { name: string }) => o.name)).toEqual(['probability']);
    expectClose(res.json.outputs[0].data, await direct(rows(1, 2), 1));
  });

  it('batches concurrent requests through every step, each answered with its own rows', async () => {
    const batches = () => metricValue(server.url, 'clinfer_inference_batch_size_count', { model: 'scored', version: '1' });
    const before = await batches();
    // 1 + 2 + 3 = 6 rows: within max_batch_size 8, so one batch (the queue delay waits for all three).
    const inputs = [0, 1, 2].map((k) => rows(k + 1, 10 + k));
    const answers = await Promise.all(inputs.map((x, k) => infer('scored', 'x', x, k + 1)));
    expect(await batches() - before).toBeLessThan(3);
    for (const [k, outputs] of answers.entries()) {
      expectClose(outputs.find((o) => o.name === 'probability')!.data, await direct(inputs[k]!, k + 1));
    }
  });

  it("shows the pipeline's own inputs and outputs in its metadata and configuration", async () => {
    const meta = await getJson(`${server.url}/v2/models/scored`);
    expect(meta.status).toBe(200);
    expect(meta.json.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
    expect(meta.json.outputs).toEqual([{ name: 'probability', datatype: 'FP32', shape: [-1, 1] }, { name: 'z', datatype: 'FP32', shape: [-1, 4] }]);
    const config = await getJson(`${server.url}/v2/models/scored/config`);
    expect(config.status).toBe(200);
    expect(config.json.max_batch_size).toBe(8);
    expect(config.json.input.map((i: { name: string }) => i.name)).toEqual(['x']);
    expect(config.json.output.map((o: { name: string }) => o.name)).toEqual(['probability', 'z']);
  });

  it('is not offered to the browser, which would run its first step only', async () => {
    const res = await getJson(`${server.url}/v1/models/scored/versions/1/files/bundle.json`);
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'ROUTE_NOT_FOUND', error: expect.stringContaining('is a pipeline') });
  });

  it('refuses a request that names a step input instead of a pipeline input', async () => {
    const res = await postJson(`${server.url}/v2/models/scored/infer`, { inputs: [{ name: 'z', datatype: 'FP32', shape: [1, 4], data: [0, 0, 0, 0] }] });
    expect(res.status).toBe(400);
  });
});

describe('a miswired pipeline', () => {
  it.each([
    ['unknown-output', /field 'pipeline\.steps\[0\]\.inputs\.z': step 'classifier' input 'z': 'model\.q' is not an output of step 'model' \(it has z\)/],
    ['unwired', /field 'pipeline\.steps\[0\]\.inputs': graph input 'z' of step 'classifier' is not wired/],
    ['not-an-input', /field 'pipeline\.steps\[0\]\.inputs\.extra': 'extra' is not a graph input of step 'classifier' \(it has z\)/],
    ['later-step', /field 'pipeline\.steps\[0\]\.inputs\.z': 'calibrate\.z' names no step that runs before step 'classifier'/],
    ['bad-step-sha', /field 'pipeline\.steps\[0\]\.sha256': logreg\.onnx has sha256 [0-9a-f]{64}, the bundle declares 0{64}/],
    ['no-output', /field 'pipeline\.outputs\.p': output 'p': 'classifier\.nope' is not an output of step 'classifier' \(it has p\)/],
  ])('%s is refused at load, naming the step and the input', async (name, reason) => {
    const ready = await getJson(`${server.url}/v2/models/${name}/versions/1/ready`);
    expect(ready.json).toMatchObject({ ready: false, state: 'UNAVAILABLE' });
    expect(ready.json.reason).toMatch(reason);
    const load = await postJson(`${server.url}/v2/repository/models/${name}/load`, {});
    expect(load.status, load.text).toBe(400);
    expect(load.json).toMatchObject({ code: 'BUNDLE_INVALID', error: expect.stringMatching(reason) });
  });
});

describe('a miswired pipeline loaded in the worker threads directly (loadIsolation thread)', () => {
  it('is refused with BUNDLE_INVALID as through the load probe', async () => {
    const threads = new TempRepository().add('unwired', '1', pipelineBundle('unwired', { steps: [step({})], outputs: { p: 'classifier.p' } }));
    const s = await startTestServer(threads.root, { loadIsolation: 'thread' });
    try {
      const load = await postJson(`${s.url}/v2/repository/models/unwired/load`, {});
      expect(load.status, load.text).toBe(400);
      expect(load.json).toMatchObject({ code: 'BUNDLE_INVALID', error: expect.stringMatching(/unwired\/1\/bundle\.json: field 'pipeline\.steps\[0\]\.inputs': graph input 'z' of step 'classifier' is not wired/) });
    } finally {
      await s.close();
      threads.remove();
    }
  });
});
