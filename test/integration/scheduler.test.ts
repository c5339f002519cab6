import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody, floatsFrom, readBinaryResponse } from '../helpers/binary.js';
import { bundleJson } from '../helpers/bundle.js';
import { maxAbsDiff, readGolden } from '../helpers/golden.js';
import { metricValue, untilMetric } from '../helpers/metrics.js';
import { DEMO_MODELS, getJson, postJson, startTestServer, TempRepository, THIRD_PARTY } from '../helpers/server.js';

/**
 * The scheduler's promises, observed from outside: batching gives each caller its own rows, STAT goes
 * first, deadlines and disconnects drop queued work, a full queue sheds with 429, models share fairly.
 * Requests are held in a queue by the batcher (rows wait up to 10 s for a full batch), never by a model that
 * is assumed to be still running, so no outcome depends on the machine's speed; super-resolution (about
 * 0.1 s per image here) floods the pool in the fair-sharing test.
 */
const SR = join(THIRD_PARTY, 'super_resolution/model.onnx');
const PPOCR = join(THIRD_PARTY, 'ppocr_cls/model.onnx');
const HEART = join(DEMO_MODELS, 'heart-disease-risk/1/model.onnx');
const serial = { execution: { providers: ['cpu'], instances: 1 }, max_batch_size: 1 };

const repo = new TempRepository()
  .add('ppocr', '1', { 'model.onnx': { copy: PPOCR } })
  .add('sr-serial', '1', { 'model.onnx': { copy: SR }, 'bundle.json': bundleJson('sr-serial', '1', SR, serial) })
  // Holds a lone request in the queue for 10 s waiting for batch company: a deadline of tens of ms passes
  // first on any machine (both are timers on the same clock), so no deadline test races a running model.
  .add('heart-hold', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-hold', '1', HEART, { max_batch_size: 8, scheduling: { max_queue_delay_us: 10_000_000 } }) })
  .add('heart-cancel', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-cancel', '1', HEART, { max_batch_size: 8, scheduling: { max_queue_delay_us: 10_000_000 } }) })
  .add('heart-queue', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-queue', '1', HEART, { max_batch_size: 8, scheduling: { max_queue_size: 2, max_queue_delay_us: 10_000_000 } }) })
  .add('sr-flood', '1', { 'model.onnx': { copy: SR } })
  .add('heart', '1', { 'model.onnx': { copy: HEART } })
  // A batch of 3 is full and goes at once; fewer rows wait up to 10 s: the test needs no "arrive within N ms".
  .add('heart-delay', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-delay', '1', HEART, { max_batch_size: 3, scheduling: { max_queue_delay_us: 10_000_000 } }) })
  // ROUTINE requests of one row wait (10 s) for a full batch of 4; a STAT request of 4 rows is full at once.
  .add('heart-priority', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-priority', '1', HEART, { max_batch_size: 4, execution: { providers: ['cpu'], instances: 1 }, scheduling: { max_queue_delay_us: 10_000_000 } }) });

let server: ClinferServer;
let url: string;
const image = new Float32Array(224 * 224).fill(0.25);
const labels = (model: string) => ({ model, version: '1' });

beforeAll(async () => {
  server = await startTestServer(repo.root);
  url = server.url;
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

function superResolution(model: string, options: { rows?: number; parameters?: object; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  const rows = options.rows ?? 1;
  const data = new Float32Array(rows * image.length);
  for (let r = 0; r < rows; r++) data.set(image, r * image.length);
  const { body, headerLength } = binaryBody(
    { inputs: [{ name: 'input', shape: [rows, 1, 224, 224], datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }], outputs: [{ name: 'output', parameters: { binary_data: true } }], parameters: options.parameters ?? {} },
    data,
  );
  return fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength), ...options.headers },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** The heart model with `rows` rows (all ones) as binary-free JSON, answered as a fetch Response. */
function heartRows(model: string, rows: number, options: { parameters?: object; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  const body = JSON.stringify({ inputs: [{ name: 'features', shape: [rows, 13], datatype: 'FP32', data: new Array(rows * 13).fill(1) }], parameters: options.parameters ?? {} });
  return fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

const pending = (model: string, predicate: (v: number) => boolean) => untilMetric(url, 'clinfer_inference_pending_requests', labels(model), predicate);

describe('dynamic batching', () => {
  it('gives each of many concurrent callers, with mixed shapes, exactly the rows a single run gives', async () => {
    const golden = readGolden(join(THIRD_PARTY, 'ppocr_cls/test_data_set_0/input_0'));
    const session = await ort.InferenceSession.create(PPOCR, { logSeverityLevel: 3 });
    const cases = Array.from({ length: 48 }, (_, i) => {
      const rows = 1 + (i % 3);
      const width = i % 2 === 0 ? 192 : 96;
      const data = new Float32Array(rows * 3 * 48 * width).map((_, k) => golden.data[(k * 7 + i) % golden.data.length]!);
      return { rows, width, data };
    });
    const responses = await Promise.all(cases.map(async (c) => {
      const { body, headerLength } = binaryBody({ inputs: [{ name: 'x', shape: [c.rows, 3, 48, c.width], datatype: 'FP32', parameters: { binary_data_size: c.data.byteLength } }], parameters: { binary_data_output: true } }, c.data);
      const res = await fetch(`${url}/v2/models/ppocr/infer`, { method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength) } });
      expect(res.status).toBe(200);
      return readBinaryResponse(res);
    }));
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const single = await session.run({ x: new ort.Tensor('float32', c.data, [c.rows, 3, 48, c.width]) });
      expect(responses[i]!.json.outputs[0].shape).toEqual([c.rows, 2]);
      expect(maxAbsDiff(floatsFrom(responses[i]!.rest), single['softmax_0.tmp_0']!.data as Float32Array), `case ${i}`).toBeLessThan(1e-5);
    }
    await session.release();
    // Every row ran exactly once.
    expect(await metricValue(url, 'clinfer_inference_batch_size_sum', labels('ppocr'))).toBe(cases.reduce((n, c) => n + c.rows, 0));
  });

  it('waits up to max_queue_delay to batch requests that arrive together', async () => {
    const rows = [[50, 1, 2, 130, 250, 0, 0, 150, 0, 1, 1, 0, 3], [60, 0, 3, 120, 200, 0, 1, 160, 0, 0, 2, 1, 7], [70, 1, 4, 140, 300, 1, 2, 110, 1, 2, 2, 2, 6]];
    const results = await Promise.all(rows.map((r) => postJson(`${url}/v2/models/heart-delay/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: r }] })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await metricValue(url, 'clinfer_inference_batch_size_count', labels('heart-delay'))).toBe(1);
    expect(await metricValue(url, 'clinfer_inference_batch_size_sum', labels('heart-delay'))).toBe(3);
  });
});

describe('priorities', () => {
  it('dispatches a STAT request before every queued ROUTINE one', async () => {
    // What holds the ROUTINE requests in the queue is the batcher (they wait for a full batch), not a model
    // that is still running when the STAT ones arrive, so the order does not depend on the machine's speed.
    const finished: string[] = [];
    const heart = (name: string, rows: number, options: { parameters?: object; headers?: Record<string, string> } = {}) =>
      heartRows('heart-priority', rows, options).then((r) => { finished.push(name); return r.status; });
    const routine = [1, 2, 3].map((i) => heart(`routine-${i}`, 1));
    await pending('heart-priority', (v) => v === 3);
    const stat = heart('stat', 4, { parameters: { priority: 1 } });
    const statViaHeader = heart('stat-header', 4, { headers: { 'clinfer-priority': 'stat' } });
    expect(await Promise.all([stat, statViaHeader])).toEqual([200, 200]);
    // Both STAT requests ran while the three ROUTINE ones were still queued.
    expect(finished.sort()).toEqual(['stat', 'stat-header']);
    expect(await metricValue(url, 'clinfer_inference_pending_requests', labels('heart-priority'))).toBe(3);
    // A fourth ROUTINE row fills their batch.
    expect(await Promise.all([...routine, heart('routine-4', 1)])).toEqual([200, 200, 200, 200]);
    expect(await metricValue(url, 'clinfer_inference_batch_size_count', labels('heart-priority'))).toBe(3);
  });

  it('refuses a priority or timeout that is not a valid value', async () => {
    const bad = await superResolution('sr-serial', { parameters: { priority: 9 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any)).toMatchObject({ code: 'INVALID_PARAMETER', error: expect.stringMatching(/'priority'/) });
    const badHeader = await superResolution('sr-serial', { headers: { 'clinfer-timeout': 'soon' } });
    expect(badHeader.status).toBe(400);
    expect(((await badHeader.json()) as any).error).toMatch(/Clinfer-Timeout/);
  });
});

describe('deadlines', () => {
  // A busy worker is not what holds these requests (a fast machine could finish it before the deadline):
  // the batcher's 10 s queue delay does, so the deadline's timer fires first whatever the machine's speed.
  // The same rule with a busy backend is pinned with fake timers in test/unit/scheduler/dynamic-batcher.conformance.test.ts.
  it('answers a queued request whose timeout passes with 504 and never executes it', async () => {
    const heart = (rows: number, options: { parameters?: object; headers?: Record<string, string> } = {}) => heartRows('heart-hold', rows, options);
    const late = await heart(1, { parameters: { timeout: 50_000 } });
    expect(late.status).toBe(504);
    expect((await late.json()) as any).toMatchObject({ code: 'DEADLINE_EXCEEDED', error: expect.stringMatching(/not executed/) });
    const header = await heart(1, { headers: { 'clinfer-timeout': '20000' } });
    expect(header.status).toBe(504);
    expect(await metricValue(url, 'clinfer_inference_batch_size_count', labels('heart-hold'))).toBe(0);
    // A full batch does not wait, so the model itself runs: one batch of 8 rows, none of the two above.
    expect((await heart(8)).status).toBe(200);
    expect(await metricValue(url, 'clinfer_inference_batch_size_count', labels('heart-hold'))).toBe(1);
    expect(await metricValue(url, 'clinfer_inference_batch_size_sum', labels('heart-hold'))).toBe(8);
    expect(await metricValue(url, 'clinfer_inference_rejections_total', { ...labels('heart-hold'), reason: 'deadline_exceeded' })).toBe(2);
  });
});

describe('client disconnects', () => {
  it('drop the queued request without executing it', async () => {
    // Held in the queue by the batcher (one row waits 10 s for company), not by a running model.
    const controller = new AbortController();
    const gone = heartRows('heart-cancel', 1, { signal: controller.signal }).catch((e: Error) => e.name);
    await pending('heart-cancel', (v) => v === 1);
    controller.abort();
    expect(await gone).toBe('AbortError');
    await pending('heart-cancel', (v) => v === 0);
    expect(await metricValue(url, 'clinfer_inference_rejections_total', { ...labels('heart-cancel'), reason: 'cancelled' })).toBe(1);
    // A full batch runs at once; the cancelled row was never part of one.
    expect((await heartRows('heart-cancel', 8)).status).toBe(200);
    expect(await metricValue(url, 'clinfer_inference_batch_size_count', labels('heart-cancel'))).toBe(1);
    expect(await metricValue(url, 'clinfer_inference_batch_size_sum', labels('heart-cancel'))).toBe(8);
  });
});

describe('backpressure', () => {
  it('sheds with 429 and Retry-After when the queue is full, stays ready, and lets STAT displace ROUTINE', async () => {
    // The two ROUTINE requests stay queued because the batcher holds rows until a batch of 8 (up to 10 s).
    const queued = [heartRows('heart-queue', 1), heartRows('heart-queue', 1)];
    await pending('heart-queue', (v) => v === 2);
    const shed = await heartRows('heart-queue', 1);
    expect(shed.status).toBe(429);
    expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await shed.json()) as any)).toMatchObject({ code: 'QUEUE_FULL', error: expect.stringMatching(/max_queue_size 2/) });
    expect((await getJson(`${url}/v2/health/ready`)).status).toBe(200);
    expect((await getJson(`${url}/v2/models/heart-queue/ready`)).status).toBe(200);
    // A full STAT batch: it takes the newest ROUTINE request's place, then runs at once.
    expect((await heartRows('heart-queue', 8, { parameters: { priority: 1 } })).status).toBe(200);
    // Seven more rows fill the remaining ROUTINE request's batch.
    const fill = heartRows('heart-queue', 7);
    expect(await Promise.all([...queued, fill].map((p) => p.then((r) => r.status)))).toEqual([200, 429, 200]);
    expect(await metricValue(url, 'clinfer_inference_rejections_total', { ...labels('heart-queue'), reason: 'queue_full' })).toBe(2);
  });
});

describe('fair sharing of the worker pool', () => {
  it('lets a fast model progress while a slow one floods every worker', async () => {
    let slowDone = 0;
    const slow = Array.from({ length: 10 }, () => superResolution('sr-flood', { rows: 2 }).then((r) => { slowDone++; return r.status; }));
    await pending('sr-flood', (v) => v === 10);
    const fast = await Promise.all(Array.from({ length: 20 }, (_, i) => postJson(`${url}/v2/models/heart/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(i) }] })));
    expect(fast.map((r) => r.status)).toEqual(new Array(20).fill(200));
    // The fast model was served while most of the slow model's queue was still waiting.
    expect(slowDone).toBeLessThan(10);
    expect(await Promise.all(slow)).toEqual(new Array(10).fill(200));
  });
});
