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
 * Super-resolution (about 0.1 s per image here) makes queues long enough to watch.
 */
const SR = join(THIRD_PARTY, 'super_resolution/model.onnx');
const PPOCR = join(THIRD_PARTY, 'ppocr_cls/model.onnx');
const HEART = join(DEMO_MODELS, 'heart-disease-risk/1/model.onnx');
const serial = { execution: { providers: ['cpu'], instances: 1 }, max_batch_size: 1 };

const repo = new TempRepository()
  .add('ppocr', '1', { 'model.onnx': { copy: PPOCR } })
  .add('sr-serial', '1', { 'model.onnx': { copy: SR }, 'bundle.json': bundleJson('sr-serial', '1', SR, serial) })
  .add('sr-deadline', '1', { 'model.onnx': { copy: SR }, 'bundle.json': bundleJson('sr-deadline', '1', SR, serial) })
  .add('sr-cancel', '1', { 'model.onnx': { copy: SR }, 'bundle.json': bundleJson('sr-cancel', '1', SR, serial) })
  .add('sr-queue', '1', { 'model.onnx': { copy: SR }, 'bundle.json': bundleJson('sr-queue', '1', SR, { ...serial, scheduling: { max_queue_size: 2 } }) })
  .add('sr-flood', '1', { 'model.onnx': { copy: SR } })
  .add('heart', '1', { 'model.onnx': { copy: HEART } })
  .add('heart-delay', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('heart-delay', '1', HEART, { max_batch_size: 8, scheduling: { max_queue_delay_us: 300_000 } }) });

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
    const finished: string[] = [];
    const track = (name: string, res: Promise<Response>) => res.then((r) => { finished.push(name); return r.status; });
    const routine = [1, 2, 3, 4].map((i) => track(`routine-${i}`, superResolution('sr-serial')));
    await pending('sr-serial', (v) => v === 4);
    const stat = track('stat', superResolution('sr-serial', { parameters: { priority: 1 } }));
    const statViaHeader = track('stat-header', superResolution('sr-serial', { headers: { 'clinfer-priority': 'stat' } }));
    expect(await Promise.all([...routine, stat, statViaHeader])).toEqual([200, 200, 200, 200, 200, 200]);
    // One ROUTINE request was executing when the STAT ones arrived; every queued ROUTINE one waits behind them.
    expect(finished[0]).toMatch(/^routine/);
    expect(finished.slice(1, 3).sort()).toEqual(['stat', 'stat-header']);
    expect(finished.slice(3).every((n) => n.startsWith('routine'))).toBe(true);
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
  it('answers a queued request whose timeout passes with 504 and never executes it', async () => {
    const long = superResolution('sr-deadline', { rows: 4 });
    await pending('sr-deadline', (v) => v === 1);
    const started = Date.now();
    const late = await superResolution('sr-deadline', { parameters: { timeout: 50_000 } });
    const waited = Date.now() - started;
    expect(late.status).toBe(504);
    expect(((await late.json()) as any)).toMatchObject({ code: 'DEADLINE_EXCEEDED', error: expect.stringMatching(/not executed/) });
    const header = await superResolution('sr-deadline', { headers: { 'clinfer-timeout': '20000' } });
    expect(header.status).toBe(504);
    expect((await long).status).toBe(200);
    expect(waited).toBeLessThan(5_000);
    expect(await metricValue(url, 'clinfer_inference_batch_size_count', labels('sr-deadline'))).toBe(1);
    expect(await metricValue(url, 'clinfer_inference_rejections_total', { ...labels('sr-deadline'), reason: 'deadline_exceeded' })).toBe(2);
  });
});

describe('client disconnects', () => {
  it('drop the queued request without executing it', async () => {
    const long = superResolution('sr-cancel', { rows: 4 });
    await pending('sr-cancel', (v) => v === 1);
    const controller = new AbortController();
    const gone = superResolution('sr-cancel', { signal: controller.signal }).catch((e: Error) => e.name);
    await pending('sr-cancel', (v) => v === 2);
    controller.abort();
    expect(await gone).toBe('AbortError');
    await pending('sr-cancel', (v) => v === 1);
    expect((await long).status).toBe(200);
    await pending('sr-cancel', (v) => v === 0);
    expect(await metricValue(url, 'clinfer_inference_rejections_total', { ...labels('sr-cancel'), reason: 'cancelled' })).toBe(1);
    expect(await metricValue(url, 'clinfer_inference_batch_size_count', labels('sr-cancel'))).toBe(1);
  });
});

describe('backpressure', () => {
  it('sheds with 429 and Retry-After when the queue is full, stays ready, and lets STAT displace ROUTINE', async () => {
    const executing = superResolution('sr-queue', { rows: 4 });
    await pending('sr-queue', (v) => v === 1);
    const queued = [superResolution('sr-queue'), superResolution('sr-queue')];
    await pending('sr-queue', (v) => v === 3);
    const shed = await superResolution('sr-queue');
    expect(shed.status).toBe(429);
    expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await shed.json()) as any)).toMatchObject({ code: 'QUEUE_FULL', error: expect.stringMatching(/max_queue_size 2/) });
    expect((await getJson(`${url}/v2/health/ready`)).status).toBe(200);
    expect((await getJson(`${url}/v2/models/sr-queue/ready`)).status).toBe(200);
    const stat = superResolution('sr-queue', { parameters: { priority: 1 } });
    const statuses = await Promise.all([executing, ...queued, stat].map((p) => p.then((r) => r.status)));
    // The newest ROUTINE request made room for the STAT one.
    expect(statuses).toEqual([200, 200, 429, 200]);
    expect(await metricValue(url, 'clinfer_inference_rejections_total', { ...labels('sr-queue'), reason: 'queue_full' })).toBe(2);
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
