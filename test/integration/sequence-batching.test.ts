import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody, floatsFrom, readBinaryResponse } from '../helpers/binary.js';
import { bundleJson } from '../helpers/bundle.js';
import { metricValue } from '../helpers/metrics.js';
import { grpcTestClient } from '../helpers/grpc-client.js';
import { FIXTURES, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Sequence batching with implicit state (bundle `sequence`, runtime/scheduler/sequence-batcher.ts) over
 * real HTTP and gRPC and real ONNX Runtime workers. stateful_gru.onnx (make_stateful_gru.py): x [B,4,3],
 * h_in [B,8] and the control input seq_start [B,1] give y [B,2] (y[1] = 10 x seq_start) and h_out [B,8].
 * The reference is a direct onnxruntime-node loop carrying h explicitly.
 */
const MODEL = join(FIXTURES, 'generated/stateful_gru.onnx');
const HIDDEN = 8;
const CHUNK = 4 * 3;
const sequence = (extra: Record<string, unknown> = {}) => ({
  state: [{ input: 'h_in', output: 'h_out' }], control: { start: 'seq_start' }, ...extra,
});
const gru = (name: string, patch: Record<string, unknown>) => ({ 'model.onnx': { copy: MODEL }, 'bundle.json': bundleJson(name, '1', MODEL, { max_batch_size: 8, ...patch }) });

const repo = new TempRepository()
  .add('gru', '1', gru('gru', { sequence: sequence() }))
  // A queue delay so that concurrent requests of different sequences form one batch.
  .add('gru-batch', '1', gru('gru-batch', { sequence: sequence({ max_sequences: 16 }), scheduling: { max_queue_delay_us: 1_000_000, preferred_batch_sizes: [4] } }))
  .add('gru-idle', '1', gru('gru-idle', { sequence: sequence({ idle_timeout_ms: 200 }) }))
  .add('gru-few', '1', gru('gru-few', { sequence: sequence({ max_sequences: 2 }) }))
  .add('gru-initial', '1', gru('gru-initial', { sequence: sequence({ state: [{ input: 'h_in', output: 'h_out', initial: 0.25 }] }) }))
  .add('gru-bare', '1', { 'model.onnx': { copy: MODEL } })
  .add('gru-canary', '1', gru('gru-canary', { sequence: sequence() }))
  .add('gru-canary', '2', { 'model.onnx': { copy: MODEL }, 'bundle.json': bundleJson('gru-canary', '2', MODEL, { max_batch_size: 8, sequence: sequence() }) });
// A model that does not batch (fixed batch of 1, state [1, 1, 16] with the batch in dimension 1).
const VAD = join(FIXTURES, 'generated/stateful_vad.onnx');
repo.add('vad', '1', { 'model.onnx': { copy: VAD }, 'bundle.json': bundleJson('vad', '1', VAD, { warmup: false, sequence: { state: [{ input: 'h_in', output: 'h_out' }] } }) });
writeFileSync(join(repo.root, 'gru-canary/model.json'), JSON.stringify({ version_policy: { specific: ['1'] } }));
let server: ClinferServer;
let session: ort.InferenceSession;

beforeAll(async () => {
  server = await startTestServer(repo.root);
  session = await ort.InferenceSession.create(MODEL);
});
afterAll(async () => {
  await server?.close();
  await session?.release();
  repo.remove();
});

/** Seeded chunk values (reproducible), different per sequence and chunk. */
function chunk(seq: number, index: number): Float32Array {
  return Float32Array.from({ length: CHUNK }, (_, i) => Math.fround(Math.sin(seq * 7.1 + index * 1.3 + i * 0.37)));
}

/** The reference: every chunk of one sequence through ONNX Runtime, h carried explicitly. */
async function direct(chunks: Float32Array[], initial = 0): Promise<Float32Array[]> {
  let h: Float32Array = new Float32Array(HIDDEN).fill(initial);
  const ys: Float32Array[] = [];
  for (const [i, x] of chunks.entries()) {
    const r = await session.run({
      x: new ort.Tensor('float32', x, [1, 4, 3]),
      h_in: new ort.Tensor('float32', h, [1, HIDDEN]),
      seq_start: new ort.Tensor('float32', Float32Array.of(i === 0 ? 1 : 0), [1, 1]),
    });
    ys.push(r.y!.data as Float32Array);
    h = r.h_out!.data as Float32Array;
  }
  return ys;
}

const params = (id: number | string, start = false, end = false) => ({ sequence_id: id, ...(start ? { sequence_start: true } : {}), ...(end ? { sequence_end: true } : {}) });

/** One chunk over HTTP JSON. */
function inferJson(model: string, x: Float32Array, parameters: Record<string, unknown>) {
  return postJson(`${server.url}/v2/models/${model}/infer`, { parameters, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4, 3], data: Array.from(x) }] });
}

async function yJson(model: string, x: Float32Array, parameters: Record<string, unknown>): Promise<Float32Array> {
  const res = await inferJson(model, x, parameters);
  expect(res.status, res.text).toBe(200);
  expect(res.json.outputs.map((o: { name: string }) => o.name)).toEqual(['y']);
  return Float32Array.from(res.json.outputs[0].data as number[]);
}

/** One chunk over the binary tensor data extension. */
async function yBinary(model: string, x: Float32Array, parameters: Record<string, unknown>): Promise<Float32Array> {
  const { body, headerLength } = binaryBody({ parameters: { ...parameters, binary_data_output: true }, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4, 3], parameters: { binary_data_size: x.byteLength } }] }, x);
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) }, body });
  expect(res.status).toBe(200);
  const { rest } = await readBinaryResponse(res);
  return floatsFrom(rest);
}

const close = (actual: Float32Array, expected: Float32Array) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `element ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(1e-6);
};

describe('sequence batching with implicit state', () => {
  it('lists only the inputs and outputs the client uses', async () => {
    const res = await getJson(`${server.url}/v2/models/gru`);
    expect(res.status).toBe(200);
    expect(res.json.inputs.map((t: { name: string }) => t.name)).toEqual(['x']);
    expect(res.json.outputs.map((t: { name: string }) => t.name)).toEqual(['y']);
  });

  it('gives, chunk by chunk, what ONNX Runtime gives carrying h, for interleaved sequences batched together', async () => {
    const ids: (number | string)[] = [101, 'ward-7-bed-3', 102, 'ward-7-bed-4'];
    const chunksOf = ids.map((_, s) => Array.from({ length: 6 }, (__, c) => chunk(s, c)));
    const expected = await Promise.all(chunksOf.map((chunks) => direct(chunks)));
    const served: Float32Array[][] = ids.map(() => []);
    // Chunk c of every sequence at once (JSON and binary alternately), then chunk c + 1.
    for (let c = 0; c < 6; c++) {
      const ys = await Promise.all(ids.map((id, s) => (s % 2 === 0 ? yJson : yBinary)('gru-batch', chunksOf[s]![c]!, params(id, c === 0, c === 5))));
      ys.forEach((y, s) => served[s]!.push(y));
    }
    for (let s = 0; s < ids.length; s++) {
      for (let c = 0; c < 6; c++) close(served[s]![c]!, expected[s]![c]!);
      // The control input: seq_start was 1 on the first chunk only.
      expect(served[s]!.map((y) => y[1])).toEqual([10, 0, 0, 0, 0, 0]);
    }
    // Different inputs, different answers: a state swapped or shared between sequences would show.
    expect(served[0]![5]![0]).not.toBeCloseTo(served[1]![5]![0]!, 3);
    // Requests of different sequences ran in one batch (the statistics extension's batch sizes).
    const stats = await getJson(`${server.url}/v2/models/gru-batch/stats`);
    const sizes = stats.json.model_stats[0].batch_stats.map((b: { batch_size: number }) => b.batch_size);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
  }, 60_000);

  it('frees the state at sequence_end: the next request without start is SEQUENCE_NOT_FOUND, a new start begins from zeros', async () => {
    const x = [chunk(3, 0), chunk(3, 1)];
    const expected = await direct(x);
    close(await yJson('gru', x[0]!, params(77, true)), expected[0]!);
    close(await yJson('gru', x[1]!, params(77, false, true)), expected[1]!);
    const after = await inferJson('gru', x[1]!, params(77));
    expect(after.status).toBe(400);
    expect(after.json.code).toBe('SEQUENCE_NOT_FOUND');
    expect(after.json.error).toMatch(/the numeric sequence_id is not a live sequence .*sequence_start/);
    expect(after.json.error).not.toMatch(/77/);
    close(await yJson('gru', x[0]!, params(77, true, true)), expected[0]!);
  }, 60_000);

  it('frees a sequence idle for idle_timeout_ms: its next request is SEQUENCE_NOT_FOUND, naming the timeout', async () => {
    const x = [chunk(4, 0), chunk(4, 1)];
    const expected = await direct(x);
    close(await yJson('gru-idle', x[0]!, params('idle-1', true)), expected[0]!);
    await sleep(1_000); // well past the bundle's 200 ms
    const after = await inferJson('gru-idle', x[1]!, params('idle-1'));
    expect(after.status).toBe(400);
    expect(after.json.code).toBe('SEQUENCE_NOT_FOUND');
    expect(after.json.error).toMatch(/idle_timeout_ms \(200 ms\)/);
    expect(await metricValue(server.url, 'clinfer_sequences_freed_total', { model: 'gru-idle', version: '1', reason: 'idle_timeout' })).toBe(1);
    expect(await metricValue(server.url, 'clinfer_sequences_live', { model: 'gru-idle', version: '1' })).toBe(0);
  }, 60_000);

  it('bounds the live sequences at max_sequences: a new one beyond is 429 SEQUENCE_LIMIT with Retry-After', async () => {
    const x = chunk(5, 0);
    expect((await inferJson('gru-few', x, params(1, true))).status).toBe(200);
    expect((await inferJson('gru-few', x, params(2, true))).status).toBe(200);
    const third = await inferJson('gru-few', x, params(3, true));
    expect(third.status).toBe(429);
    expect(third.json.code).toBe('SEQUENCE_LIMIT');
    expect(third.json.error).toMatch(/max_sequences 2/);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await metricValue(server.url, 'clinfer_inference_rejections_total', { model: 'gru-few', version: '1', reason: 'sequence_limit' })).toBe(1);
    expect(await metricValue(server.url, 'clinfer_sequences_live', { model: 'gru-few', version: '1' })).toBe(2);
    // A live sequence continues; once one ends, a new one is taken.
    expect((await inferJson('gru-few', x, params(2))).status).toBe(200);
    expect((await inferJson('gru-few', x, params(1, false, true))).status).toBe(200);
    expect((await inferJson('gru-few', x, params(3, true))).status).toBe(200);
    expect(await metricValue(server.url, 'clinfer_sequences_freed_total', { model: 'gru-few', version: '1', reason: 'end' })).toBe(1);
  }, 60_000);

  it("starts a sequence from the bundle's initial value", async () => {
    const x = [chunk(6, 0), chunk(6, 1)];
    const expected = await direct(x, 0.25);
    close(await yJson('gru-initial', x[0]!, params(1, true)), expected[0]!);
    close(await yJson('gru-initial', x[1]!, params(1)), expected[1]!);
  }, 60_000);

  it('refuses requests it cannot place, each with its code', async () => {
    const x = chunk(7, 0);
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['gru', {}, 'INVALID_PARAMETER', /is stateful: every request needs parameter 'sequence_id'/],
      ['gru', { sequence_id: 0, sequence_start: true }, 'INVALID_PARAMETER', /sequence_id.*got an integer out of range/],
      ['gru', { sequence_id: 1.5, sequence_start: true }, 'INVALID_PARAMETER', /sequence_id.*got a non-integer number/],
      ['gru', { sequence_id: 'x'.repeat(129), sequence_start: true }, 'INVALID_PARAMETER', /got a string of 129 characters/],
      ['gru', { sequence_id: 8, sequence_start: 'yes' }, 'INVALID_PARAMETER', /'sequence_start' must be a boolean/],
      ['gru', { sequence_id: 'never-started' }, 'SEQUENCE_NOT_FOUND', /never started/],
      ['gru-bare', { sequence_id: 1, sequence_start: true }, 'INVALID_PARAMETER', /is not stateful/],
    ];
    for (const [model, parameters, code, message] of cases) {
      const res = model === 'gru-bare'
        ? await postJson(`${server.url}/v2/models/${model}/infer`, { parameters, inputs: [
          { name: 'x', datatype: 'FP32', shape: [1, 4, 3], data: Array.from(x) },
          { name: 'h_in', datatype: 'FP32', shape: [1, HIDDEN], data: new Array(HIDDEN).fill(0) },
          { name: 'seq_start', datatype: 'FP32', shape: [1, 1], data: [1] }] })
        : await inferJson(model, x, parameters);
      expect(res.status, JSON.stringify(parameters)).toBe(400);
      expect(res.json.code).toBe(code);
      expect(res.json.error).toMatch(message);
    }
    // The state is the server's: a client sending it is told the model has no such input.
    const withState = await postJson(`${server.url}/v2/models/gru/infer`, { parameters: params(9, true), inputs: [
      { name: 'x', datatype: 'FP32', shape: [1, 4, 3], data: Array.from(x) },
      { name: 'h_in', datatype: 'FP32', shape: [1, HIDDEN], data: new Array(HIDDEN).fill(0) }] });
    expect(withState.status).toBe(400);
    expect(withState.json.code).toBe('INVALID_INPUT');
    // One row per request: a sequence is one stream of chunks.
    const twoRows = await postJson(`${server.url}/v2/models/gru/infer`, { parameters: params(9, true), inputs: [
      { name: 'x', datatype: 'FP32', shape: [2, 4, 3], data: [...x, ...x] }] });
    expect(twoRows.status).toBe(400);
    expect(twoRows.json.code).toBe('INVALID_INPUT');
    expect(twoRows.json.error).toMatch(/one row/);
  }, 60_000);

  it('refuses a canary candidate for a stateful model (a sequence split between two versions); shadow is taken', async () => {
    const candidate = (body: unknown, method = 'POST') => fetch(`${server.url}/v2/repository/models/gru-canary/candidate`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    const canary = await candidate({ version: '2', mode: 'canary', percent: 50 });
    expect(canary.status).toBe(400);
    expect(await canary.json()).toMatchObject({ code: 'INVALID_REQUEST', error: expect.stringMatching(/is stateful .*use mode 'shadow'/) });
    expect((await candidate({ version: '2', mode: 'shadow' })).status).toBe(200);
    const x = [chunk(8, 0), chunk(8, 1)];
    const expected = await direct(x);
    close(await yJson('gru-canary', x[0]!, params(1, true)), expected[0]!);
    close(await yJson('gru-canary', x[1]!, params(1, false, true)), expected[1]!);
    expect((await candidate(undefined, 'DELETE')).status).toBe(200);
  }, 60_000);

  it("describes the model in Triton's configuration as sequence_batching with its state and controls (HTTP and gRPC)", async () => {
    const http = await getJson(`${server.url}/v2/models/gru-batch/config`);
    expect(http.status).toBe(200);
    expect(http.json.dynamic_batching).toBeUndefined();
    expect(http.json.input.map((t: { name: string }) => t.name)).toEqual(['x']);
    expect(http.json.sequence_batching).toEqual({
      max_sequence_idle_microseconds: 60_000_000,
      control_input: [{ name: 'seq_start', control: [{ kind: 'CONTROL_SEQUENCE_START', fp32_false_true: [0, 1] }] }],
      state: [{ input_name: 'h_in', output_name: 'h_out', data_type: 'TYPE_FP32', dims: [HIDDEN], initial_state: [{ name: 'zeros', data_type: 'TYPE_FP32', dims: [HIDDEN], zero_data: true }] }],
      oldest: { max_candidate_sequences: 16, preferred_batch_size: [4], max_queue_delay_microseconds: 1_000_000, preserve_ordering: false },
    });
    const client = grpcTestClient(server.grpcAddress!);
    try {
      const grpc = await client.rpc('ModelConfig', { name: 'gru-batch', version: '' });
      const numbers = (value: unknown): unknown => JSON.parse(JSON.stringify(value), (_k, v) => (typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : v));
      expect(numbers(grpc.config.sequence_batching)).toMatchObject(http.json.sequence_batching);
      expect(grpc.config.scheduling_choice).toBe('sequence_batching');
    } finally {
      client.close();
    }
  });

  it('keeps the state of a model that does not batch (max_batch_size 0)', async () => {
    const vad = await ort.InferenceSession.create(VAD);
    try {
      const pcm = (seed: number) => Float32Array.from({ length: 320 }, (_, i) => Math.fround(0.1 * Math.sin(seed + i / 9)));
      const chunks = [pcm(1), pcm(2), pcm(3)];
      let h: Float32Array = new Float32Array(16);
      for (const [c, audio] of chunks.entries()) {
        const ref = await vad.run({ audio: new ort.Tensor('float32', audio, [1, 320]), sr: new ort.Tensor('int64', BigInt64Array.of(16000n), [1]), h_in: new ort.Tensor('float32', h, [1, 1, 16]) });
        h = ref.h_out!.data as Float32Array;
        const res = await postJson(`${server.url}/v2/models/vad/infer`, { parameters: params('bed-12', c === 0, c === 2), inputs: [
          { name: 'audio', datatype: 'FP32', shape: [1, 320], data: Array.from(audio) },
          { name: 'sr', datatype: 'INT64', shape: [1], data: [16000] }] });
        expect(res.status, res.text).toBe(200);
        expect(res.json.outputs.map((o: { name: string }) => o.name)).toEqual(['prob']);
        close(Float32Array.from(res.json.outputs[0].data as number[]), ref.prob!.data as Float32Array);
      }
    } finally {
      await vad.release();
    }
  }, 60_000);

  it('streams two interleaved sequences over gRPC ModelStreamInfer, answers equal to the reference', async () => {
    const client = grpcTestClient(server.grpcAddress!);
    try {
      const chunksA = Array.from({ length: 4 }, (_, c) => chunk(11, c));
      const chunksB = Array.from({ length: 4 }, (_, c) => chunk(12, c));
      const [expectedA, expectedB] = [await direct(chunksA), await direct(chunksB)];
      const message = (id: { int64_param: number } | { string_param: string }, c: number, x: Float32Array) => ({
        model_name: 'gru', id: `${'int64_param' in id ? 'a' : 'b'}${c}`,
        parameters: { sequence_id: id, ...(c === 0 ? { sequence_start: { bool_param: true } } : {}), ...(c === 3 ? { sequence_end: { bool_param: true } } : {}) },
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4, 3] }], raw_input_contents: [Buffer.from(x.buffer, x.byteOffset, x.byteLength)],
      });
      const stream = client.raw.ModelStreamInfer();
      const responses: any[] = [];
      const done = new Promise<number>((ok) => stream.on('status', (s: { code: number }) => ok(s.code)));
      stream.on('data', (r: any) => responses.push(r));
      // Every chunk of both sequences written at once, interleaved: each chunk still sees the state its
      // predecessor left (a sequence's requests run one at a time, in stream order).
      for (let c = 0; c < 4; c++) {
        stream.write(message({ int64_param: 4242 }, c, chunksA[c]!));
        stream.write(message({ string_param: 'monitor-b' }, c, chunksB[c]!));
      }
      stream.end();
      expect(await done).toBe(status.OK);
      expect(responses.map((r) => r.error_message)).toEqual(new Array(8).fill(''));
      for (let c = 0; c < 4; c++) {
        close(floatsFrom(responses[2 * c].infer_response.raw_output_contents[0]), expectedA[c]!);
        close(floatsFrom(responses[2 * c + 1].infer_response.raw_output_contents[0]), expectedB[c]!);
      }
    } finally {
      client.close();
    }
  }, 60_000);
});
