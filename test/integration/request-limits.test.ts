import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody } from '../helpers/binary.js';
import { grpcTestClient, type GrpcTestClient } from '../helpers/grpc-client.js';
import { FIXTURES, getJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Per-model request limits on both transports. stateful_vad.onnx takes audio [1, samples]: its need
 * cannot be computed, so its limit is maxBodyBytes (4 KiB here); volume_3d.onnx has static shapes and
 * gets its own need, two 64 MiB volumes, above that floor.
 */
const MiB = 1024 * 1024;
const repo = new TempRepository()
  .add('vad', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/stateful_vad.onnx') } })
  .add('volume', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/volume_3d.onnx') } });
let server: ClinferServer;
let client: GrpcTestClient;

beforeAll(async () => {
  server = await startTestServer(repo.root, { maxBodyBytes: 4096, maxBodyBytesCeiling: 256 * MiB, workers: 1 });
  client = grpcTestClient(server.grpcAddress!);
}, 120_000);
afterAll(async () => {
  client?.close();
  await server?.close();
  repo.remove();
});

describe('request limits per model', () => {
  it('are in the metadata: the floor for a small model, the need of a big one', async () => {
    const vad = (await getJson(`${server.url}/v2/models/vad`)).json;
    expect(vad.max_request_bytes).toBe(4096);
    expect(vad.request_bytes_needed).toBeUndefined();
    expect((await getJson(`${server.url}/v2/models/volume`)).json.max_request_bytes).toBe(2 * 64 * MiB + MiB);
  });

  const inputs = (samples: number) => [
    { name: 'audio', datatype: 'FP32', shape: [1, samples] },
    { name: 'sr', datatype: 'INT64', shape: [1] },
    { name: 'h_in', datatype: 'FP32', shape: [1, 1, 16] },
  ];
  const chunks = (samples: number) => [new Float32Array(samples).fill(0.01), BigInt64Array.from([16000n]), new Float32Array(16)];

  it('HTTP: a body over the model\'s limit is 413 naming it, one under is served', async () => {
    const post = (samples: number) => {
      const data = chunks(samples);
      const { body, headerLength } = binaryBody({ inputs: inputs(samples).map((t, i) => ({ ...t, parameters: { binary_data_size: data[i]!.byteLength } })) }, ...data);
      return fetch(`${server.url}/v2/models/vad/infer`, { method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength) } });
    };
    expect((await post(200)).status).toBe(200);
    const res = await post(2000);
    expect(res.status).toBe(413);
    const answer = (await res.json()) as { code: string; error: string };
    expect(answer.code).toBe('BODY_TOO_LARGE');
    expect(answer.error).toMatch(/limit of 4096 bytes for this model \(max_request_bytes.*binary tensor data extension/);
  });

  it('gRPC: raw_input_contents over the model\'s limit is RESOURCE_EXHAUSTED naming max_request_bytes', async () => {
    const request = (samples: number) => ({ model_name: 'vad', model_version: '', inputs: inputs(samples), raw_input_contents: chunks(samples).map((c) => Buffer.from(c.buffer)) });
    expect((await client.rpc('ModelInfer', request(200))).outputs.map((o: { name: string }) => o.name).sort()).toEqual(['h_out', 'prob']);
    const error = await client.rpcError('ModelInfer', request(2000));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(/raw_input_contents holds 8072 bytes, over model 'vad' version 1's max_request_bytes \(4096\)/);
  });
});
