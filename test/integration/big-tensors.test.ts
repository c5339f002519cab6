import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody, readBinaryResponse } from '../helpers/binary.js';
import { metricValue } from '../helpers/metrics.js';
import { grpcTestClient, type GrpcTestClient } from '../helpers/grpc-client.js';
import { FIXTURES, getJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Big tensors with DEFAULT settings: volume_3d.onnx (make_volume_3d.py) takes [N,1,256,256,256] FP32,
 * 64 MiB per item, and answers 2x + 1 of the same size. Before this change: 413 on HTTP and
 * RESOURCE_EXHAUSTED on gRPC (the limit was exactly 64 MiB), autofill max_batch_size 32.
 */
const MiB = 1024 * 1024;
const SIDE = 256;
const ELEMENTS = SIDE ** 3;
const SHAPE = [1, 1, SIDE, SIDE, SIDE];
const repo = new TempRepository().add('volume', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/volume_3d.onnx') } });
let server: ClinferServer;
let client: GrpcTestClient;

/** Values whose 2x + 1 is exact in FP32; differ along every axis, so a transposed answer fails. */
function volume(): Float32Array {
  const v = new Float32Array(ELEMENTS);
  for (let i = 0; i < ELEMENTS; i++) v[i] = ((i * 7) % 4093) / 8 - 100;
  return v;
}
function expectTwiceXPlusOne(input: Float32Array, bytes: Buffer): void {
  expect(bytes.byteLength).toBe(ELEMENTS * 4);
  const out = new Float32Array(bytes.buffer, bytes.byteOffset, ELEMENTS);
  for (const i of [0, 1, SIDE, SIDE * SIDE, ELEMENTS - 1]) expect(out[i]).toBe(2 * input[i]! + 1);
  let wrong = 0;
  for (let i = 0; i < ELEMENTS; i++) if (out[i] !== 2 * input[i]! + 1) wrong++;
  expect(wrong).toBe(0);
}
const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;

beforeAll(async () => {
  server = await startTestServer(repo.root);
  // The client's own receive limit (4 MiB by default in grpc-js) is the caller's business.
  client = grpcTestClient(server.grpcAddress!, { channelOptions: { 'grpc.max_receive_message_length': -1 } });
}, 120_000);
afterAll(async () => {
  client?.close();
  await server?.close();
  repo.remove();
});

describe('a 64 MiB-per-item 3D model with default settings', () => {
  it('gets max_batch_size 2 from the per-batch budget, and its metadata says the request limit and its memory', async () => {
    const meta = (await getJson(`${server.url}/v2/models/volume`)).json;
    expect(meta.max_batch_size).toBe(2); // 256 MiB budget / (64 MiB in + 64 MiB out), not 32
    expect(meta.request_bytes_needed).toBe(2 * 64 * MiB + MiB);
    expect(meta.max_request_bytes).toBe(2 * 64 * MiB + MiB);
    expect(meta.memory).toMatchObject({ model_file_bytes: expect.any(Number), sessions: 2 });
    expect(meta.memory.estimated_bytes).toBeGreaterThanOrEqual(meta.memory.model_file_bytes * 2);
    expect(await metricValue(server.url, 'clinfer_model_memory_bytes', { model: 'volume', version: '1' })).toBe(meta.memory.estimated_bytes);
    console.log(`volume_3d: RSS growth over load and warm-up ${mib(meta.memory.rss_delta_at_load_bytes)}`);
  });

  it('serves 64 MiB in and out over HTTP with the binary tensor extension', async () => {
    const input = volume();
    const { body, headerLength } = binaryBody({
      inputs: [{ name: 'volume', datatype: 'FP32', shape: SHAPE, parameters: { binary_data_size: input.byteLength } }],
      outputs: [{ name: 'mask', parameters: { binary_data: true } }],
    }, input);
    const started = performance.now();
    const res = await fetch(`${server.url}/v2/models/volume/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) }, body });
    expect(res.status).toBe(200);
    const { json, rest } = await readBinaryResponse(res);
    const ms = performance.now() - started;
    expect(json.outputs).toEqual([{ name: 'mask', datatype: 'FP32', shape: SHAPE, parameters: { binary_data_size: ELEMENTS * 4 } }]);
    expectTwiceXPlusOne(input, rest);
    console.log(`volume_3d over HTTP binary: ${ms.toFixed(0)} ms round trip; test process RSS ${mib(process.memoryUsage.rss())}`);
  }, 120_000);

  it('serves 64 MiB in and out over gRPC with raw_input_contents', async () => {
    const input = volume();
    const started = performance.now();
    const response = await client.rpc('ModelInfer', {
      model_name: 'volume', model_version: '',
      inputs: [{ name: 'volume', datatype: 'FP32', shape: SHAPE }],
      raw_input_contents: [Buffer.from(input.buffer)],
    });
    const ms = performance.now() - started;
    expect(response.outputs.map((o: any) => ({ ...o, shape: o.shape.map(Number) }))).toMatchObject([{ name: 'mask', datatype: 'FP32', shape: SHAPE }]);
    expectTwiceXPlusOne(input, response.raw_output_contents[0]);
    console.log(`volume_3d over gRPC: ${ms.toFixed(0)} ms round trip; test process RSS ${mib(process.memoryUsage.rss())}`);
  }, 120_000);

  it('refuses a JSON answer of its output with a 400 naming the binary extension, before running the model', async () => {
    const batches = await metricValue(server.url, 'clinfer_inference_batch_size_count', { model: 'volume', version: '1' });
    const input = volume();
    const { body, headerLength } = binaryBody({ inputs: [{ name: 'volume', datatype: 'FP32', shape: SHAPE, parameters: { binary_data_size: input.byteLength } }] }, input);
    const res = await fetch(`${server.url}/v2/models/volume/infer`, { method: 'POST', headers: { 'inference-header-content-length': String(headerLength) }, body });
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { code: string; error: string };
    expect(answer.code).toBe('OUTPUT_TOO_LARGE_FOR_JSON');
    expect(answer.error).toMatch(/output 'mask' .*maxJsonResponseBytes.*binary_data_output: true/);
    expect(await metricValue(server.url, 'clinfer_inference_batch_size_count', { model: 'volume', version: '1' })).toBe(batches);
  }, 120_000);

  it('answers 413 from the Content-Length alone when a body passes the model\'s limit', async () => {
    const declared = 3 * 64 * MiB + 4096;
    const { status, body } = await new Promise<{ status: number; body: string }>((ok, fail) => {
      const url = new URL(`${server.url}/v2/models/volume/infer`);
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(declared) } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => ok({ status: res.statusCode!, body: text }));
      });
      req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : fail(e)));
      req.write(Buffer.alloc(1024)); // a few bytes only: the answer must not wait for the rest
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(JSON.parse(body).error).toMatch(String(2 * 64 * MiB + MiB));
  }, 60_000);
});
