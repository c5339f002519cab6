import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody, readBinaryResponse } from '../helpers/binary.js';
import { grpcTestClient, type GrpcTestClient } from '../helpers/grpc-client.js';
import { FIXTURES, getJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * HTTP and gRPC run one inference pipeline (runtime/inference/run-inference.ts) on tensors decoded by one
 * validation (protocol/infer-request.ts): the same refusals, the same drift observation, and binary data
 * read in place where aligned, copied where not, with the same values either way.
 */
const repo = new TempRepository()
  .addDemo('heart-disease-risk')
  .add('identity', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/identity_all_types.onnx') } });
let server: ClinferServer;
let client: GrpcTestClient;

beforeAll(async () => {
  server = await startTestServer(repo.root);
  client = grpcTestClient(server.grpcAddress!);
});
afterAll(async () => {
  client?.close();
  await server?.close();
  repo.remove();
});

/**
 * One [rows, 3] tensor of each datatype of the identity model, as raw bytes (BOOL first: 3 bytes a row,
 * so what follows starts misaligned when rows is odd).
 */
function identityInputs(rows = 1): { name: string; datatype: string; shape: number[]; bytes: Uint8Array }[] {
  const raw = (t: ArrayBufferView) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
  const repeat = <T>(row: T[]): T[] => Array.from({ length: rows }, () => row).flat();
  const element = (s: string) => Buffer.concat([Buffer.from(Uint32Array.of(Buffer.byteLength(s)).buffer), Buffer.from(s)]);
  const bytesElements = Buffer.concat(repeat([element('a'), element('bé'), element('')]));
  return ([
    ['BOOL', Uint8Array.from(repeat([1, 0, 1]))], ['UINT8', Uint8Array.from(repeat([1, 2, 255]))], ['UINT16', Uint16Array.from(repeat([1, 65535, 3]))],
    ['UINT32', Uint32Array.from(repeat([1, 4294967295, 3]))], ['UINT64', BigUint64Array.from(repeat([1n, 2n, 18446744073709551615n]))], ['INT8', Int8Array.from(repeat([-1, 0, 1]))],
    ['INT16', Int16Array.from(repeat([-32768, 0, 1]))], ['INT32', Int32Array.from(repeat([-1, 2147483647, 1]))], ['INT64', BigInt64Array.from(repeat([-9223372036854775808n, 0n, 9223372036854775807n]))],
    ['FP32', Float32Array.from(repeat([1.5, -2.25, 3e38]))], ['FP64', Float64Array.from(repeat([1.25, Math.PI, -1e300]))], ['BYTES', bytesElements],
    ['FP16', Uint16Array.from(repeat([0x3c00, 0x4000, 0x4200]))],
  ] as const).map(([datatype, values]) => ({ name: `in_${datatype.toLowerCase()}`, datatype, shape: [rows, 3], bytes: raw(values) }));
}

const OUTPUTS = ['bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'fp32', 'fp64', 'bytes', 'fp16'].map((t) => `out_${t}`);

async function httpBinary(inputs: ReturnType<typeof identityInputs>) {
  const { body, headerLength } = binaryBody({
    inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, parameters: { binary_data_size: i.bytes.byteLength } })),
    outputs: OUTPUTS.map((name) => ({ name, parameters: { binary_data: true } })),
  }, ...inputs.map((i) => i.bytes));
  return fetch(`${server.url}/v2/models/identity/infer`, { method: 'POST', headers: { 'inference-header-content-length': String(headerLength) }, body });
}

const grpcRaw = (inputs: ReturnType<typeof identityInputs>) => ({
  model_name: 'identity', inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape })),
  raw_input_contents: inputs.map((i) => Buffer.from(i.bytes)), outputs: OUTPUTS.map((name) => ({ name })),
});

describe('binary tensor data, aligned or not', () => {
  it('decodes inputs that start at odd offsets of the HTTP body to the same values, through a real graph', async () => {
    const inputs = identityInputs();
    // Offsets in the binary part: BOOL 0, UINT8 3, UINT16 6 (aligned), UINT32 12, UINT64 24, INT8 48, INT16 51 (odd), ...
    const res = await httpBinary(inputs);
    expect(res.status).toBe(200);
    const { json, rest } = await readBinaryResponse(res);
    let offset = 0;
    json.outputs.forEach((o: { name: string; parameters: { binary_data_size: number } }, k: number) => {
      expect(o.name).toBe(OUTPUTS[k]);
      expect(Buffer.from(rest.subarray(offset, offset + o.parameters.binary_data_size)).equals(Buffer.from(inputs[k]!.bytes)), o.name).toBe(true);
      offset += o.parameters.binary_data_size;
    });
  });

  it.each([
    ['small enough for Node\'s shared Buffer pool', 1],
    ['in a buffer of its own', 31],
  ])('decodes a chunked body (no Content-Length: joined in ordinary memory, %s) to the same values, twice', async (_where, rows) => {
    // Inputs here are views into ordinary memory (not the shared memory of a body with Content-Length),
    // aligned or copied where not; either way the worker must get exactly these values, round after round.
    for (let round = 0; round < 2; round++) {
      const inputs = identityInputs(rows);
      const { body, headerLength } = binaryBody({
        inputs: inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, parameters: { binary_data_size: i.bytes.byteLength } })),
        outputs: OUTPUTS.map((name) => ({ name, parameters: { binary_data: true } })),
      }, ...inputs.map((i) => i.bytes));
      expect(body.byteLength < 4096).toBe(rows === 1);
      const { status: code, bytes, jsonLength } = await new Promise<{ status: number; bytes: Buffer; jsonLength: number }>((resolve, reject) => {
        const req = httpRequest(`${server.url}/v2/models/identity/infer`, { method: 'POST', headers: { 'inference-header-content-length': String(headerLength) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, bytes: Buffer.concat(chunks), jsonLength: Number(res.headers['inference-header-content-length']) }));
        });
        req.on('error', reject);
        req.write(body.subarray(0, 100));
        req.end(body.subarray(100));
      });
      expect(code, bytes.toString()).toBe(200);
      const json = JSON.parse(bytes.subarray(0, jsonLength).toString());
      let offset = jsonLength;
      json.outputs.forEach((o: { parameters: { binary_data_size: number } }, k: number) => {
        expect(bytes.subarray(offset, offset + o.parameters.binary_data_size).equals(Buffer.from(inputs[k]!.bytes)), OUTPUTS[k]).toBe(true);
        offset += o.parameters.binary_data_size;
      });
    }
  });

  it('gives gRPC the same values from raw_input_contents', async () => {
    const inputs = identityInputs();
    const res = await client.rpc('ModelInfer', grpcRaw(inputs));
    (res.raw_output_contents as Buffer[]).forEach((bytes, k) => expect(bytes.equals(Buffer.from(inputs[k]!.bytes)), OUTPUTS[k]).toBe(true));
  });
});

describe('malformed binary contents', () => {
  const cases: [string, (inputs: ReturnType<typeof identityInputs>) => void, RegExp][] = [
    ['a BOOL byte that is not 0 or 1', (i) => { i[0]!.bytes = new Uint8Array([1, 2, 0]); }, /input 'in_bool': BOOL element 1 is 2, expected 0 or 1/],
    ['a BYTES element longer than the data', (i) => { i[11]!.bytes = Buffer.from([9, 0, 0, 0, 1]); }, /input 'in_bytes': BYTES element 0 claims 9 bytes, only 1 remain/],
    ['BYTES data with bytes after the last element', (i) => { i[11]!.bytes = Buffer.concat([Buffer.from(i[11]!.bytes), Buffer.from([7])]); }, /input 'in_bytes': binary BYTES data has 1 bytes after its 3 elements/],
    ['BYTES data that end before the last element', (i) => { i[11]!.bytes = Buffer.from([1, 0, 0, 0, 97]); }, /input 'in_bytes': binary BYTES data ends before element 1 of 3/],
    ['a datatype the model does not take', (i) => { i[9]!.datatype = 'FP64'; i[9]!.bytes = new Uint8Array(24); }, /input 'in_fp32': datatype is FP64, the model expects FP32/],
  ];

  it.each(cases)('%s: refused by HTTP and gRPC alike, with the same message', async (_what, spoil, message) => {
    const inputs = identityInputs();
    spoil(inputs);
    const http = await httpBinary(inputs);
    const answer = await http.json() as { code: string; error: string };
    expect(http.status).toBe(400);
    expect(answer.code).toBe('INVALID_INPUT');
    expect(answer.error).toMatch(message);
    const grpc = await client.rpcError('ModelInfer', grpcRaw(inputs));
    expect(grpc.code).toBe(status.INVALID_ARGUMENT);
    expect(grpc.details).toBe(answer.error);
  });

  it('a raw entry of the wrong size: INVALID_INPUT on both, naming the input and the bytes needed', async () => {
    const inputs = identityInputs();
    inputs[9]!.bytes = new Uint8Array(8);
    const http = await httpBinary(inputs);
    expect(http.status).toBe(400);
    expect(await http.json()).toMatchObject({ code: 'INVALID_INPUT', error: expect.stringMatching(/input 'in_fp32': binary_data_size is 8, shape \[1,3\] of FP32 needs 12 bytes/) });
    // The same code over the stream, which writes it into error_message.
    const answers: { error_message: string }[] = [];
    const stream = client.raw.ModelStreamInfer();
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: { error_message: string }) => answers.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write(grpcRaw(inputs));
    stream.end();
    await done;
    expect(answers).toEqual([expect.objectContaining({ error_message: "INVALID_INPUT: input 'in_fp32': raw_input_contents[9] holds 8 bytes, shape [1,3] of FP32 needs 12" })]);
  });
});

describe('drift', () => {
  it('observes gRPC requests like HTTP ones: inputs and outputs', async () => {
    const drift = async () => (await getJson(`${server.url}/v1/models/heart-disease-risk/drift`)).json;
    expect((await drift()).observed).toBe(0);
    const row = [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6];
    const rows = Float32Array.from(Array.from({ length: 60 }, (_, r) => row.map((v, k) => v + ((r * (k + 1)) % 7) * 0.1)).flat());
    const request = (data: Float32Array, n: number) => ({
      model_name: 'heart-disease-risk', inputs: [{ name: 'features', datatype: 'FP32', shape: [n, 13] }], raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
    });
    await client.rpc('ModelInfer', request(rows, 60));
    expect((await drift()).observed).toBe(60);
    // And over the stream: 60 more rows, past the 100 the index needs, outputs included.
    const stream = client.raw.ModelStreamInfer();
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: { error_message: string }) => expect(m.error_message).toBe(''));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write(request(rows, 60));
    stream.end();
    await done;
    const after = await drift();
    expect(after.observed).toBe(120);
    expect(typeof after.psi.age).toBe('number');
    expect(typeof after.psi._output).toBe('number');
  });
});
