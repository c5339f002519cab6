import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { floatsFrom } from '../helpers/binary.js';
import { metricValue } from '../helpers/metrics.js';
import { grpcTestClient, type GrpcTestClient } from '../helpers/grpc-client.js';
import { FIXTURES, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/** inference.GRPCInferenceService, called with a client generated from the protocol's proto, checked against HTTP. */
const repo = new TempRepository()
  .addDemo('heart-disease-risk')
  .addDemo('chest-xray-pneumonia')
  .add('identity', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/identity_all_types.onnx') } });
let server: ClinferServer;
let client: GrpcTestClient;

const heartRow = [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6];

beforeAll(async () => {
  server = await startTestServer(repo.root);
  client = grpcTestClient(server.grpcAddress!);
});
afterAll(async () => {
  client?.close();
  await server?.close();
  repo.remove();
});

describe('health and metadata', () => {
  it('answers ServerLive, ServerReady, ServerMetadata', async () => {
    expect(await client.rpc('ServerLive', {})).toEqual({ live: true });
    expect(await client.rpc('ServerReady', {})).toEqual({ ready: true });
    const http = (await getJson(`${server.url}/v2`)).json;
    expect(await client.rpc('ServerMetadata', {})).toEqual({ name: http.name, version: http.version, extensions: http.extensions });
  });

  it('answers ModelReady and ModelMetadata like HTTP', async () => {
    expect(await client.rpc('ModelReady', { name: 'heart-disease-risk', version: '' })).toEqual({ ready: true });
    expect(await client.rpc('ModelReady', { name: 'heart-disease-risk', version: '1' })).toEqual({ ready: true });
    const meta = await client.rpc('ModelMetadata', { name: 'chest-xray-pneumonia', version: '' });
    const http = (await getJson(`${server.url}/v2/models/chest-xray-pneumonia`)).json;
    expect(meta.name).toBe(http.name);
    expect(meta.versions).toEqual(http.versions);
    expect(meta.platform).toBe('onnxruntime_onnx');
    expect(meta.inputs.map((t: any) => ({ ...t, shape: t.shape.map(Number) }))).toEqual(http.inputs);
    expect(meta.outputs.map((t: any) => ({ ...t, shape: t.shape.map(Number) }))).toEqual(http.outputs);
  });

  it('maps errors to gRPC status codes with the same messages', async () => {
    const unknown = await client.rpcError('ModelMetadata', { name: 'nope', version: '' });
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toMatch(/model 'nope' is not in the repository/);
    expect((await client.rpcError('ModelReady', { name: 'heart-disease-risk', version: '9' })).code).toBe(status.NOT_FOUND);
  });
});

describe('ModelInfer', () => {
  it('with raw_input_contents gives the same outputs as HTTP JSON', async () => {
    const image = Float32Array.from({ length: 2 * 784 }, (_, i) => ((i * 13) % 255) / 255);
    const res = await client.rpc('ModelInfer', {
      model_name: 'chest-xray-pneumonia', model_version: '', id: 'g1',
      inputs: [{ name: 'image', datatype: 'FP32', shape: [2, 1, 28, 28] }],
      raw_input_contents: [Buffer.from(image.buffer)],
    });
    expect(res).toMatchObject({ model_name: 'chest-xray-pneumonia', model_version: '1', id: 'g1' });
    expect(res.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: ['2', '2'], parameters: {}, contents: null }]);
    const http = await postJson(`${server.url}/v2/models/chest-xray-pneumonia/infer`, { inputs: [{ name: 'image', shape: [2, 1, 28, 28], datatype: 'FP32', data: Array.from(image) }] });
    expect(Array.from(floatsFrom(res.raw_output_contents[0]))).toEqual(http.json.outputs[0].data);
  });

  it('with typed contents (fp32_contents) gives the same outputs as HTTP', async () => {
    const res = await client.rpc('ModelInfer', { model_name: 'heart-disease-risk', model_version: '1', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 13], contents: { fp32_contents: heartRow } }] });
    const http = await postJson(`${server.url}/v2/models/heart-disease-risk/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: heartRow }] });
    expect(floatsFrom(res.raw_output_contents[0])[0]).toBe(http.json.outputs[0].data[0]);
  });

  it('carries every datatype through a real graph as raw contents, and says FP16 has no typed field', async () => {
    const inputs = [
      ['BOOL', { bool_contents: [true, false, true] }], ['UINT8', { uint_contents: [1, 2, 255] }], ['UINT16', { uint_contents: [1, 2, 3] }],
      ['UINT32', { uint_contents: [1, 2, 3] }], ['UINT64', { uint64_contents: ['1', '2', '18446744073709551615'] }], ['INT8', { int_contents: [-1, 0, 1] }],
      ['INT16', { int_contents: [-1, 0, 1] }], ['INT32', { int_contents: [-1, 0, 1] }], ['INT64', { int64_contents: ['-9223372036854775808', '0', '9223372036854775807'] }],
      ['FP32', { fp32_contents: [1.5, 2, 3] }], ['FP64', { fp64_contents: [1.25, 2, 3] }], ['BYTES', { bytes_contents: [Buffer.from('a'), Buffer.from('bé'), Buffer.from('')] }],
    ].map(([t, contents]) => ({ name: `in_${(t as string).toLowerCase()}`, datatype: t, shape: [1, 3], contents }));
    const fp16 = { name: 'in_fp16', datatype: 'FP16', shape: [1, 3] };
    // FP16 has no typed field: send everything as raw contents instead, then compare the typed path for the rest.
    const rawOnly = await client.rpcError('ModelInfer', { model_name: 'identity', inputs: [...inputs, fp16] });
    expect(rawOnly.code).toBe(status.INVALID_ARGUMENT);
    expect(rawOnly.details).toMatch(/FP16 has no typed contents field/);
    const res = await client.rpc('ModelInfer', {
      model_name: 'identity', inputs: [...inputs, fp16].map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      raw_input_contents: [
        Buffer.from([1, 0, 1]), Buffer.from([1, 2, 255]), Buffer.from(new Uint16Array([1, 2, 3]).buffer), Buffer.from(new Uint32Array([1, 2, 3]).buffer),
        Buffer.from(new BigUint64Array([1n, 2n, 18446744073709551615n]).buffer), Buffer.from(new Int8Array([-1, 0, 1]).buffer), Buffer.from(new Int16Array([-1, 0, 1]).buffer),
        Buffer.from(new Int32Array([-1, 0, 1]).buffer), Buffer.from(new BigInt64Array([-9223372036854775808n, 0n, 9223372036854775807n]).buffer),
        Buffer.from(new Float32Array([1.5, 2, 3]).buffer), Buffer.from(new Float64Array([1.25, 2, 3]).buffer),
        Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('a'), Buffer.from([3, 0, 0, 0]), Buffer.from('bé'), Buffer.from([0, 0, 0, 0])]),
        Buffer.from(new Uint16Array([0x3c00, 0x4000, 0x4200]).buffer),
      ],
      outputs: [{ name: 'out_int64' }, { name: 'out_uint64' }, { name: 'out_bytes' }, { name: 'out_bool' }, { name: 'out_fp16' }],
    });
    const out = res.raw_output_contents as Buffer[];
    expect(new BigInt64Array(new Uint8Array(out[0]!).buffer)).toEqual(new BigInt64Array([-9223372036854775808n, 0n, 9223372036854775807n]));
    expect(new BigUint64Array(new Uint8Array(out[1]!).buffer)[2]).toBe(18446744073709551615n);
    expect(out[2]!.subarray(4, 5).toString()).toBe('a');
    expect([...out[3]!]).toEqual([1, 0, 1]);
    expect([...new Uint16Array(new Uint8Array(out[4]!).buffer)]).toEqual([0x3c00, 0x4000, 0x4200]);
  });

  it('refuses bad requests with INVALID_ARGUMENT naming the problem', async () => {
    const wrongName = await client.rpcError('ModelInfer', { model_name: 'heart-disease-risk', inputs: [{ name: 'feature', datatype: 'FP32', shape: [1, 13], contents: { fp32_contents: heartRow } }] });
    expect(wrongName.code).toBe(status.INVALID_ARGUMENT);
    expect(wrongName.details).toMatch(/no input 'feature'/);
    const wrongCount = await client.rpcError('ModelInfer', { model_name: 'heart-disease-risk', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 13], contents: { fp32_contents: heartRow.slice(1) } }] });
    expect(wrongCount.details).toMatch(/contents\.fp32_contents holds 12 elements, shape \[1,13\] needs 13/);
    const wrongRaw = await client.rpcError('ModelInfer', { model_name: 'heart-disease-risk', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 13] }], raw_input_contents: [Buffer.alloc(48)] });
    expect(wrongRaw.details).toMatch(/raw_input_contents\[0\] holds 48 bytes, shape \[1,13\] of FP32 needs 52/);
    const rawMismatch = await client.rpcError('ModelInfer', { model_name: 'heart-disease-risk', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 13] }], raw_input_contents: [Buffer.alloc(52), Buffer.alloc(4)] });
    expect(rawMismatch.details).toMatch(/raw_input_contents holds 2 entries for 1 inputs/);
    const badPriority = await client.rpcError('ModelInfer', { model_name: 'heart-disease-risk', parameters: { priority: { int64_param: '7' } }, inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 13], contents: { fp32_contents: heartRow } }] });
    expect(badPriority.details).toMatch(/'priority'/);
    expect((await client.rpcError('ModelInfer', { model_name: 'nope', inputs: [] })).code).toBe(status.NOT_FOUND);
  });

  it('counts gRPC requests in the same metrics as HTTP', async () => {
    const before = await metricValue(server.url, 'clinfer_inference_requests_total', { model: 'heart-disease-risk', version: '1', outcome: 'success' });
    await client.rpc('ModelInfer', { model_name: 'heart-disease-risk', parameters: { priority: { int64_param: '1' } }, inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 13], contents: { fp32_contents: heartRow } }] });
    expect(await metricValue(server.url, 'clinfer_inference_requests_total', { model: 'heart-disease-risk', version: '1', outcome: 'success' })).toBe(before + 1);
  });
});
