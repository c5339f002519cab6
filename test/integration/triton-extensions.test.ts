import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_MAX_IN_FLIGHT } from '../../runtime/grpc/stream-infer.js';
import type { ClinferServer } from '../../runtime/server.js';
import { floatsFrom } from '../helpers/binary.js';
import { metricValue } from '../helpers/metrics.js';
import { grpcTestClient, type GrpcTestClient } from '../helpers/grpc-client.js';
import { FIXTURES, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * What Triton's tools call besides inference (tritonclient's get_model_config, get_inference_statistics,
 * the repository calls over gRPC, the classification extension), over real HTTP and gRPC with the
 * protocol's own messages (runtime/grpc/grpc_predict_v2.proto), against real ONNX Runtime workers.
 */
const repo = new TempRepository()
  .addDemo('chest-xray-pneumonia')
  .add('identity', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/identity_all_types.onnx') } })
  .add('broken', '1', { 'model.onnx': 'not an onnx graph' });
let server: ClinferServer;
let client: GrpcTestClient;

/** proto-loader decodes 64-bit integers as strings; Triton's JSON has numbers. */
const numbers = (value: unknown): unknown => JSON.parse(JSON.stringify(value), (_k, v) => (typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : v));

const image = (rows: number, seed = 13) => Float32Array.from({ length: rows * 784 }, (_, i) => ((i * seed) % 255) / 255);
const chestInfer = (rows: number, extra: Record<string, unknown> = {}) =>
  postJson(`${server.url}/v2/models/chest-xray-pneumonia/infer`, { inputs: [{ name: 'image', shape: [rows, 1, 28, 28], datatype: 'FP32', data: Array.from(image(rows)) }], ...extra });

beforeAll(async () => {
  server = await startTestServer(repo.root);
  client = grpcTestClient(server.grpcAddress!);
});
afterAll(async () => {
  client?.close();
  await server?.close();
  repo.remove();
});

describe('model configuration (GET /v2/models/{m}/config, gRPC ModelConfig)', () => {
  it("answers Triton's form: platform, backend, batch size, dims without the batch dimension, dynamic batching", async () => {
    const res = await getJson(`${server.url}/v2/models/chest-xray-pneumonia/config`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      name: 'chest-xray-pneumonia', platform: 'onnxruntime_onnx', backend: 'onnxruntime',
      version_policy: { latest: { num_versions: 1 } },
      max_batch_size: 64,
      input: [{ name: 'image', data_type: 'TYPE_FP32', format: 'FORMAT_NONE', dims: [1, 28, 28] }],
      output: [{ name: 'logits', data_type: 'TYPE_FP32', dims: [2] }],
      dynamic_batching: { priority_levels: 2, default_priority_level: 2, default_queue_policy: { timeout_action: 'REJECT', allow_timeout_override: true } },
      instance_group: [{ kind: 'KIND_CPU', count: expect.any(Number) }],
      optimization: { execution_accelerators: { gpu_execution_accelerator: [], cpu_execution_accelerator: [] } },
      parameters: { execution_provider: { string_value: 'cpu' }, intra_op_thread_count: { string_value: '1' } },
    });
    expect((await getJson(`${server.url}/v2/models/chest-xray-pneumonia/versions/1/config`)).json).toEqual(res.json);
    // BYTES is TYPE_STRING in Triton's enum.
    const identity = (await getJson(`${server.url}/v2/models/identity/config`)).json;
    expect(identity.input.find((i: any) => i.name === 'in_bytes')).toMatchObject({ data_type: 'TYPE_STRING' });
  });

  it('gives the same configuration over gRPC, decoded with the proto', async () => {
    const http = (await getJson(`${server.url}/v2/models/chest-xray-pneumonia/config`)).json;
    const grpc = await client.rpc('ModelConfig', { name: 'chest-xray-pneumonia', version: '' });
    expect(numbers(grpc.config)).toMatchObject(numbers(http) as object);
  });

  it('answers an unknown model with 404 / NOT_FOUND, an UNAVAILABLE one with 503 / UNAVAILABLE', async () => {
    expect((await getJson(`${server.url}/v2/models/nope/config`)).status).toBe(404);
    expect((await client.rpcError('ModelConfig', { name: 'nope', version: '' })).code).toBe(status.NOT_FOUND);
    expect((await getJson(`${server.url}/v2/models/broken/config`)).status).toBe(503);
    expect((await client.rpcError('ModelConfig', { name: 'broken', version: '' })).code).toBe(status.UNAVAILABLE);
  });
});

describe('statistics (GET /v2/models/stats, gRPC ModelStatistics)', () => {
  const stats = async (path = '/v2/models/chest-xray-pneumonia/versions/1/stats') => (await getJson(`${server.url}${path}`)).json.model_stats[0];

  it("counts requests, rows, queue and compute like Triton, from the same points as /metrics", async () => {
    const before = await stats();
    for (const rows of [2, 2, 2]) expect((await chestInfer(rows)).status).toBe(200);
    const bad = await postJson(`${server.url}/v2/models/chest-xray-pneumonia/infer`, { inputs: [{ name: 'image', shape: [1, 1, 28, 27], datatype: 'FP32', data: Array(756).fill(0) }] });
    expect(bad.status).toBe(400);
    const after = await stats();
    const delta = (f: (s: any) => number) => f(after) - f(before);
    expect(after).toMatchObject({ name: 'chest-xray-pneumonia', version: '1' });
    expect(delta((s) => s.inference_stats.success.count)).toBe(3);
    expect(delta((s) => s.inference_stats.fail.count)).toBe(1);
    expect(delta((s) => s.inference_count)).toBe(6);
    expect(delta((s) => s.inference_stats.queue.count)).toBe(3);
    expect(delta((s) => s.inference_stats.compute_infer.count)).toBe(3);
    expect(delta((s) => s.inference_stats.success.ns)).toBeGreaterThan(0);
    expect(delta((s) => s.inference_stats.compute_infer.ns)).toBeGreaterThan(0);
    // Every execution is in one batch size's entry; the rows of all batches are the inferences.
    const executions = delta((s) => s.execution_count);
    expect(executions).toBeGreaterThanOrEqual(1);
    expect(executions).toBeLessThanOrEqual(3);
    const batched = (s: any) => s.batch_stats.reduce((n: number, b: any) => n + b.compute_infer.count, 0);
    expect(delta(batched)).toBe(executions);
    expect(after.batch_stats.reduce((n: number, b: any) => n + b.batch_size * b.compute_infer.count, 0)).toBe(after.inference_count);
    expect(after.last_inference).toBeGreaterThan(Date.now() - 60_000);
    // The success count is the Prometheus counter's.
    expect(await metricValue(server.url, 'clinfer_inference_requests_total', { model: 'chest-xray-pneumonia', version: '1', outcome: 'success' })).toBe(after.inference_stats.success.count);
  });

  it('lists every READY version, one model, one version; gRPC answers the same numbers', async () => {
    const all = (await getJson(`${server.url}/v2/models/stats`)).json.model_stats.map((s: any) => `${s.name}/${s.version}`);
    expect(all).toEqual(['chest-xray-pneumonia/1', 'identity/1']);
    const http = (await getJson(`${server.url}/v2/models/chest-xray-pneumonia/stats`)).json;
    const grpc = await client.rpc('ModelStatistics', { name: 'chest-xray-pneumonia', version: '' });
    expect(numbers(grpc)).toMatchObject(numbers(http) as object);
    expect((await client.rpc('ModelStatistics', { name: '', version: '' })).model_stats).toHaveLength(2);
    expect((await getJson(`${server.url}/v2/models/nope/stats`)).status).toBe(404);
    expect((await getJson(`${server.url}/v2/models/chest-xray-pneumonia/versions/7/stats`)).status).toBe(404);
    expect((await client.rpcError('ModelStatistics', { name: 'nope', version: '' })).code).toBe(status.NOT_FOUND);
  });
});

describe('repository extension over gRPC (and index ready over HTTP)', () => {
  it('RepositoryIndex lists every version with its state; ready: true only the READY ones (HTTP too)', async () => {
    const all = (await client.rpc('RepositoryIndex', { repository_name: '', ready: false })).models;
    expect(all.find((m: any) => m.name === 'broken')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.any(String) });
    const ready = (await client.rpc('RepositoryIndex', { ready: true })).models;
    expect(ready.map((m: any) => m.name)).toEqual(['chest-xray-pneumonia', 'identity']);
    expect((await postJson(`${server.url}/v2/repository/index`, { ready: true })).json.map((m: any) => m.name)).toEqual(['chest-xray-pneumonia', 'identity']);
    expect((await postJson(`${server.url}/v2/repository/index`, {})).json.some((m: any) => m.name === 'broken')).toBe(true);
    expect((await postJson(`${server.url}/v2/repository/index`, { ready: 'yes' })).status).toBe(400);
  });

  it('RepositoryModelUnload then RepositoryModelLoad take a model out of service and back', async () => {
    expect(await client.rpc('RepositoryModelUnload', { model_name: 'identity' })).toEqual({});
    expect(await client.rpc('ModelReady', { name: 'identity', version: '' })).toEqual({ ready: false });
    expect(await client.rpc('RepositoryModelLoad', { model_name: 'identity' })).toEqual({});
    expect(await client.rpc('ModelReady', { name: 'identity', version: '' })).toEqual({ ready: true });
    expect((await client.rpcError('RepositoryModelLoad', { model_name: 'nope' })).code).toBe(status.NOT_FOUND);
    expect((await client.rpcError('RepositoryModelLoad', { model_name: '' })).code).toBe(status.INVALID_ARGUMENT);
    const file = await client.rpcError('RepositoryModelLoad', { model_name: 'identity', parameters: { 'file:1/model.onnx': { bytes_param: Buffer.from('x') } } });
    expect(file.code).toBe(status.INVALID_ARGUMENT);
    expect(file.details).toMatch(/model files cannot be sent with a load/);
  });

  it('applies a configuration override on load (gRPC and HTTP), and a plain load goes back to the bundle', async () => {
    const config = JSON.stringify({ name: 'chest-xray-pneumonia', max_batch_size: 4, dynamic_batching: { max_queue_delay_microseconds: 500, preferred_batch_size: [2, 4], default_queue_policy: { max_queue_size: 17 } } });
    expect(await client.rpc('RepositoryModelLoad', { model_name: 'chest-xray-pneumonia', parameters: { config: { string_param: config } } })).toEqual({});
    const overridden = (await getJson(`${server.url}/v2/models/chest-xray-pneumonia/config`)).json;
    expect(overridden).toMatchObject({ max_batch_size: 4, dynamic_batching: { max_queue_delay_microseconds: 500, preferred_batch_size: [2, 4], default_queue_policy: { max_queue_size: 17 } } });
    // The override is applied, not only shown: a batch over the new max_batch_size is refused.
    expect((await chestInfer(5)).status).toBe(400);
    expect((await chestInfer(4)).status).toBe(200);
    const plain = await postJson(`${server.url}/v2/repository/models/chest-xray-pneumonia/load`, {});
    expect(plain.status).toBe(200);
    expect((await getJson(`${server.url}/v2/models/chest-xray-pneumonia/config`)).json.max_batch_size).toBe(64);
    const http = await postJson(`${server.url}/v2/repository/models/chest-xray-pneumonia/load`, { parameters: { config: JSON.stringify({ max_batch_size: 8 }) } });
    expect(http.status).toBe(200);
    expect((await getJson(`${server.url}/v2/models/chest-xray-pneumonia/config`)).json.max_batch_size).toBe(8);
    expect((await postJson(`${server.url}/v2/repository/models/chest-xray-pneumonia/load`, {})).status).toBe(200);
  });

  it('refuses, with 400 naming the field, what it cannot apply; the model serves on unchanged', async () => {
    const load = (config: unknown) => postJson(`${server.url}/v2/repository/models/chest-xray-pneumonia/load`, { parameters: { config: typeof config === 'string' ? config : JSON.stringify(config) } });
    const cases: [unknown, RegExp][] = [
      [{ input: [] }, /field 'input' cannot be overridden/],
      [{ instance_group: [{ count: 4 }] }, /field 'instance_group' cannot be overridden/],
      [{ dynamic_batching: { preserve_ordering: true } }, /field 'dynamic_batching.preserve_ordering' cannot be overridden/],
      [{ max_batch_size: -1 }, /field 'max_batch_size' must be an integer/],
      [{ name: 'other' }, /field 'name' is "other"/],
      ['{not json', /is not valid JSON/],
    ];
    for (const [config, message] of cases) {
      const res = await load(config);
      expect(res.status, JSON.stringify(config)).toBe(400);
      expect(res.json).toMatchObject({ code: 'INVALID_PARAMETER', error: expect.stringMatching(message) });
    }
    expect((await postJson(`${server.url}/v2/repository/models/chest-xray-pneumonia/load`, { parameters: { other: 1 } })).json.code).toBe('INVALID_PARAMETER');
    const grpc = await client.rpcError('RepositoryModelLoad', { model_name: 'chest-xray-pneumonia', parameters: { config: { string_param: '{"output":[]}' } } });
    expect(grpc.code).toBe(status.INVALID_ARGUMENT);
    expect(grpc.details).toMatch(/field 'output'/);
    // The serving version is untouched throughout.
    expect((await getJson(`${server.url}/v2/models/chest-xray-pneumonia/config`)).json.max_batch_size).toBe(64);
    expect((await chestInfer(1)).status).toBe(200);
  });
});

describe('classification extension', () => {
  it('answers the top K as "score:index:label" strings, per batch row, over HTTP', async () => {
    const raw = await chestInfer(2);
    const logits: number[] = raw.json.outputs[0].data;
    const res = await chestInfer(2, { outputs: [{ name: 'logits', parameters: { classification: 2 } }] });
    expect(res.status).toBe(200);
    const out = res.json.outputs[0];
    expect(out).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [2, 2] });
    const labels = ['normal', 'pneumonia'];
    for (let r = 0; r < 2; r++) {
      const row = [0, 1].map((i) => ({ i, s: Math.fround(logits[r * 2 + i]!) })).sort((a, b) => b.s - a.s || a.i - b.i);
      expect(out.data.slice(r * 2, r * 2 + 2)).toEqual(row.map(({ i, s }) => `${s.toFixed(6)}:${i}:${labels[i]}`));
    }
    const one = await chestInfer(2, { outputs: [{ name: 'logits', parameters: { classification: 1, binary_data: false } }] });
    expect(one.json.outputs[0].shape).toEqual([2, 1]);
    const bad = await chestInfer(1, { outputs: [{ name: 'logits', parameters: { classification: 'two' } }] });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'INVALID_PARAMETER', error: expect.stringMatching(/classification must be a positive integer/) });
  });

  it('answers class_count over gRPC (output parameter classification) as BYTES', async () => {
    const res = await client.rpc('ModelInfer', {
      model_name: 'chest-xray-pneumonia', inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 1, 28, 28] }],
      raw_input_contents: [Buffer.from(image(1).buffer)],
      outputs: [{ name: 'logits', parameters: { classification: { int64_param: 1 } } }],
    });
    expect(res.outputs[0]).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: ['1', '1'] });
    const bytes: Buffer = res.raw_output_contents[0];
    const text = bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString();
    const plain = await client.rpc('ModelInfer', { model_name: 'chest-xray-pneumonia', inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 1, 28, 28] }], raw_input_contents: [Buffer.from(image(1).buffer)] });
    const logits = Array.from(floatsFrom(plain.raw_output_contents[0]));
    const best = logits[1]! > logits[0]! ? 1 : 0;
    expect(text).toBe(`${logits[best]!.toFixed(6)}:${best}:${['normal', 'pneumonia'][best]}`);
  });
});

describe('strict requests', () => {
  it('refuses a gRPC input carrying both contents and raw_input_contents (INVALID_ARGUMENT)', async () => {
    const error = await client.rpcError('ModelInfer', {
      model_name: 'chest-xray-pneumonia', inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 1, 28, 28], contents: { fp32_contents: Array.from(image(1)) } }],
      raw_input_contents: [Buffer.from(image(1).buffer)],
    });
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/input 'image' carries contents while the request carries raw_input_contents/);
  });

  it('answers FP16 in JSON with 400, as Triton', async () => {
    const meta = (await getJson(`${server.url}/v2/models/identity`)).json;
    const value = (datatype: string) => (datatype === 'BOOL' ? [true, false, true] : datatype === 'BYTES' ? ['a', 'b', 'c'] : [1, 2, 3]);
    const res = await postJson(`${server.url}/v2/models/identity/infer`, { inputs: meta.inputs.map((i: any) => ({ name: i.name, datatype: i.datatype, shape: [1, 3], data: value(i.datatype) })) });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'INVALID_INPUT', error: expect.stringMatching(/FP16 cannot be sent as JSON/) });
  });

  it('lists the extensions it serves', async () => {
    const names = ['binary_tensor_data', 'model_repository', 'model_configuration', 'statistics', 'classification'];
    expect((await getJson(`${server.url}/v2`)).json.extensions).toEqual(names);
    expect((await client.rpc('ServerMetadata', {})).extensions).toEqual(names);
  });
});

describe('model control over gRPC follows the listener rule', () => {
  it('is refused with MODEL_CONTROL_DISABLED (PERMISSION_DENIED) under modelControlMode "none" and beside an admin listener; the index still answers', async () => {
    for (const overrides of [{ modelControlMode: 'none' as const }, { adminListener: { port: 0 } }]) {
      const local = await startTestServer(repo.root, { workers: 1, ...overrides });
      const c = grpcTestClient(local.grpcAddress!);
      try {
        for (const method of ['RepositoryModelLoad', 'RepositoryModelUnload']) {
          const error = await c.rpcError(method, { model_name: 'identity' });
          expect(error.code, `${method} ${JSON.stringify(overrides)}`).toBe(status.PERMISSION_DENIED);
          expect(error.details).toMatch('modelControlMode' in overrides ? /modelControlMode "none"/ : /admin listener only/);
        }
        expect(await c.rpc('ModelReady', { name: 'identity', version: '' })).toEqual({ ready: true });
        expect((await c.rpc('RepositoryIndex', { ready: true })).models.length).toBeGreaterThan(0);
      } finally {
        c.close();
        await local.close();
      }
    }
  }, 60_000);
});

describe('ModelStreamInfer (bidirectional stream)', () => {
  it('answers each request of the stream in order, an error as error_message without ending the stream', async () => {
    const one = (id: string, rows: number, seed: number) => ({
      model_name: 'chest-xray-pneumonia', id, inputs: [{ name: 'image', datatype: 'FP32', shape: [rows, 1, 28, 28] }],
      raw_input_contents: [Buffer.from(image(rows, seed).buffer)],
    });
    const requests = [one('s1', 1, 3), one('s2', 3, 7), { ...one('s3', 1, 5), model_name: 'nope' }, one('s4', 2, 11)];
    const stream = client.raw.ModelStreamInfer();
    const responses: any[] = [];
    const done = new Promise<number>((ok) => stream.on('status', (s: { code: number }) => ok(s.code)));
    stream.on('data', (r: any) => responses.push(r));
    for (const r of requests) stream.write(r);
    stream.end();
    expect(await done).toBe(status.OK);
    expect(responses.map((r) => r.infer_response?.id ?? r.error_message)).toEqual(['s1', 's2', expect.stringMatching(/^MODEL_NOT_FOUND: model 'nope'/), 's4']);
    // Each answer is what the unary call gives for the same request.
    for (const i of [0, 1, 3]) {
      const unary = await client.rpc('ModelInfer', requests[i]);
      expect(responses[i].error_message).toBe('');
      expect(responses[i].infer_response.outputs).toEqual(unary.outputs);
      expect(Array.from(floatsFrom(responses[i].infer_response.raw_output_contents[0]))).toEqual(Array.from(floatsFrom(unary.raw_output_contents[0])));
    }
  });

  it(`answers every request of a stream that writes past ${STREAM_MAX_IN_FLIGHT} in flight (paused, then resumed), in order`, async () => {
    const count = STREAM_MAX_IN_FLIGHT * 3;
    const stream = client.raw.ModelStreamInfer();
    const ids: string[] = [];
    const done = new Promise<number>((ok) => stream.on('status', (s: { code: number }) => ok(s.code)));
    stream.on('data', (r: any) => ids.push(r.infer_response?.id ?? r.error_message));
    const body = Buffer.from(image(1).buffer);
    for (let i = 0; i < count; i++) stream.write({ model_name: 'chest-xray-pneumonia', id: `r${i}`, inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 1, 28, 28] }], raw_input_contents: [body] });
    stream.end();
    expect(await done).toBe(status.OK);
    expect(ids).toEqual(Array.from({ length: count }, (_, i) => `r${i}`));
  }, 60_000);
});
