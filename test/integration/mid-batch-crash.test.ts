import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { bundleJson } from '../helpers/bundle.js';
import { metricValue } from '../helpers/metrics.js';
import { TestFaults } from '../../runtime/pool/fault-hook.js';
import type { SessionSpec } from '../../runtime/pool/messages.js';
import { DEMO_MODELS, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * A worker thread that dies hard while it holds a batch of merged requests (the test-only fault hook,
 * runtime/pool/fault-hook.ts): every request of that batch is retried once, alone, on another worker;
 * a request whose retry dies too is answered 503 WORKER_EXITED; nothing hangs; the pool returns to its
 * full size; other models keep serving.
 */
const HEART = join(DEMO_MODELS, 'heart-disease-risk/1/model.onnx');
// max_queue_delay 300 ms and max_batch_size 8: eight requests sent together run as one batch of 8.
const batching = { max_batch_size: 8, scheduling: { max_queue_delay_us: 300_000 } };
const repo = new TempRepository()
  .add('heart-once', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-once', '1', HEART, batching) })
  .add('heart-after', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-after', '1', HEART, batching) })
  .add('heart-always', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-always', '1', HEART, batching) })
  .add('heart', '1', { 'model.onnx': { copy: HEART } });

const ROWS = Array.from({ length: 8 }, (_, i) => [40 + 3 * i, i % 2, 1 + (i % 4), 120 + 4 * i, 200 + 9 * i, i % 2, i % 3, 170 - 5 * i, (i + 1) % 2, 0.3 * i, 1 + (i % 3), i % 4, [3, 6, 7][i % 3]!]);
let expected: number[];
let server: ClinferServer;

const infer = (model: string, row: number[]) => postJson(`${server.url}/v2/models/${model}/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: row }] });
const labels = (model: string) => ({ model, version: '1' });

async function untilLiveWorkers(n: number) {
  const end = Date.now() + 15_000;
  while (server.pool.liveWorkers !== n) {
    if (Date.now() > end) throw new Error(`the pool has ${server.pool.liveWorkers} live workers, expected ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  const session = await ort.InferenceSession.create(HEART, { logSeverityLevel: 3 });
  const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(ROWS.flat()), [ROWS.length, 13]) });
  expected = [...(out.probability!.data as Float32Array)];
  await session.release();
  // Armed in this test process only (the hook also needs VITEST, which vitest sets); read once by the pool.
  process.env.CLINFER_TEST_FAULTS = 'crash-on-batch:heart-once:1,crash-on-batch:heart-after:1:after,crash-on-batch:heart-always:*';
  try {
    server = await startTestServer(repo.root);
  } finally {
    delete process.env.CLINFER_TEST_FAULTS;
  }
  await untilLiveWorkers(2);
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

describe('a worker that dies holding a batch', () => {
  it('retries each request of the batch once, on another worker: all answered 200 with their own rows', async () => {
    const exitsBefore = server.pool.workerExits;
    const threadsBefore = server.pool.threads.map((t) => t.threadId);
    // A retry that waited for a timer instead of the worker's exit, or never came, fails by the test timeout:
    // no stopwatch here (the counts below say what happened).
    const results = await Promise.all(ROWS.map((row) => infer('heart-once', row)));
    expect(results.map((r) => r.status)).toEqual(new Array(8).fill(200));
    results.forEach((r, i) => expect(r.json.outputs[0].data[0]).toBeCloseTo(expected[i]!, 6));
    // One worker died; one batch of 8 (the one that crashed), then each request alone.
    expect(server.pool.workerExits - exitsBefore).toBe(1);
    expect(await metricValue(server.url, 'clinfer_inference_batch_size_count', labels('heart-once'))).toBe(9);
    expect(await metricValue(server.url, 'clinfer_inference_batch_size_sum', labels('heart-once'))).toBe(16);
    expect(await metricValue(server.url, 'clinfer_inference_requests_total', { ...labels('heart-once'), outcome: 'success' })).toBe(8);
    // piscina replaced the dead thread: back to full size, with one new thread.
    await untilLiveWorkers(2);
    expect(server.pool.threads.length).toBe(2);
    expect(server.pool.threads.map((t) => t.threadId).filter((id) => !threadsBefore.includes(id))).toHaveLength(1);
    // The hook was armed for one batch: the model serves normally now, batching again.
    const again = await Promise.all(ROWS.map((row) => infer('heart-once', row)));
    expect(again.map((r) => r.status)).toEqual(new Array(8).fill(200));
    expect(server.pool.workerExits - exitsBefore).toBe(1);
    expect(await metricValue(server.url, 'clinfer_inference_batch_size_count', labels('heart-once'))).toBe(10);
  });

  it('retries a batch whose worker died after session.run, before answering', async () => {
    const exitsBefore = server.pool.workerExits;
    const results = await Promise.all(ROWS.map((row) => infer('heart-after', row)));
    expect(results.map((r) => r.status)).toEqual(new Array(8).fill(200));
    results.forEach((r, i) => expect(r.json.outputs[0].data[0]).toBeCloseTo(expected[i]!, 6));
    expect(server.pool.workerExits - exitsBefore).toBe(1);
    expect(await metricValue(server.url, 'clinfer_inference_batch_size_count', labels('heart-after'))).toBe(9);
    await untilLiveWorkers(2);
  });

  it('answers 503 WORKER_EXITED when the retry dies too, never hangs, and other models keep serving', async () => {
    const exitsBefore = server.pool.workerExits;
    const others = Promise.all(ROWS.map((row) => infer('heart', row)));
    const results = await Promise.all(ROWS.slice(0, 4).map((row) => infer('heart-always', row)));
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ code: 'WORKER_EXITED', error: expect.stringMatching(/heart-always.*exited, and so did the one its retry ran on; it is not retried again/) });
    }
    // The batch of 4 died, then each of its 4 retries.
    expect(server.pool.workerExits - exitsBefore).toBe(5);
    expect(await metricValue(server.url, 'clinfer_inference_batch_size_count', labels('heart-always'))).toBe(5);
    expect(await metricValue(server.url, 'clinfer_inference_requests_total', { ...labels('heart-always'), outcome: 'WORKER_EXITED' })).toBe(4);
    const served = await others;
    expect(served.map((r) => r.status)).toEqual(new Array(8).fill(200));
    served.forEach((r, i) => expect(r.json.outputs[0].data[0]).toBeCloseTo(expected[i]!, 6));
    await untilLiveWorkers(2);
    expect(server.pool.threads.length).toBe(2);
    const after = await Promise.all(ROWS.map((row) => infer('heart', row)));
    expect(after.map((r) => r.status)).toEqual(new Array(8).fill(200));
  });
});

describe('the fault hook (CLINFER_TEST_FAULTS)', () => {
  const spec = (key: string) => ({ key }) as SessionSpec;

  it('is ignored outside a test process, with a warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(TestFaults.fromEnv({ CLINFER_TEST_FAULTS: 'crash-on-batch:heart:1' })).toBeUndefined();
      expect(TestFaults.fromEnv({ CLINFER_TEST_FAULTS: 'crash-on-batch:heart:1', VITEST: 'false', NODE_ENV: 'production' })).toBeUndefined();
      expect(TestFaults.fromEnv({ NODE_ENV: 'test' })).toBeUndefined();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual(new Array(2).fill(expect.stringMatching(/CLINFER_TEST_FAULTS is ignored: fault injection is for tests only/)));
  });

  it('fires on the n-th batch of the model named, or on every one', () => {
    const faults = TestFaults.fromEnv({ NODE_ENV: 'test', CLINFER_TEST_FAULTS: 'crash-on-batch:heart:2, crash-on-batch:xray/3:*:after' })!;
    expect([1, 2, 3].map(() => faults.next(spec('heart/1#1')))).toEqual([undefined, 'crash-before-run', undefined]);
    expect(faults.next(spec('heart-2/1#1'))).toBeUndefined();
    expect(faults.next(spec('xray/2#4'))).toBeUndefined();
    expect([1, 2].map(() => faults.next(spec('xray/3#5')))).toEqual(['crash-after-run', 'crash-after-run']);
    expect(() => TestFaults.fromEnv({ VITEST: 'true', CLINFER_TEST_FAULTS: 'crash-on-batch:heart:0' })).toThrow(/cannot read 'crash-on-batch:heart:0'/);
    expect(() => TestFaults.fromEnv({ VITEST: 'true', CLINFER_TEST_FAULTS: 'crash:heart' })).toThrow(/expected crash-on-batch/);
  });
});
