import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../runtime/model/model-config.js';
import { parseInferRequest } from '../../../runtime/protocol/infer-request.js';
import { encodeInferResponse } from '../../../runtime/protocol/infer-response.js';

const model: ModelConfig = {
  name: 'm', version: '1', platform: 'onnxruntime_onnx',
  inputs: [{ name: 'a', datatype: 'FP32', shape: [-1, 2] }, { name: 's', datatype: 'BYTES', shape: [-1, 1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
  unsupportedOutputs: [], maxBatchSize: 4, maxRequestBytes: 1 << 20, requestBytesNeeded: undefined, warmup: undefined, memory: undefined, instances: 1, digest: 'd'.repeat(64),
  scheduling: { maxQueueDelayMs: 0, preferredBatchSizes: [], maxQueueSize: 10, defaultTimeoutMs: 0 }, provider: 'cpu', source: 'autofill', bundle: undefined, tabular: undefined, image: undefined, driftReference: undefined,
};
const single: ModelConfig = { ...model, inputs: [{ name: 'a', datatype: 'FP32', shape: [-1, 2] }] };

const framed = (header: unknown, ...chunks: Buffer[]) => {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), length: String(json.byteLength) };
};
const bytesElement = (s: string) => {
  const b = Buffer.from(s);
  const n = Buffer.alloc(4);
  n.writeUInt32LE(b.byteLength);
  return Buffer.concat([n, b]);
};

describe('parseInferRequest', () => {
  it('reads JSON inputs and binary inputs in header order', () => {
    const { body, length } = framed(
      { id: 'r1', inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }, { name: 's', shape: [1, 1], datatype: 'BYTES', parameters: { binary_data_size: 7 } }] },
      Buffer.from(new Float32Array([1.5, 2.5]).buffer), bytesElement('abc'),
    );
    const req = parseInferRequest(body, length, model);
    expect(req.id).toBe('r1');
    expect(Array.from(req.inputs[0]!.data as Float32Array)).toEqual([1.5, 2.5]);
    expect(Buffer.from((req.inputs[1]!.data as Uint8Array[])[0]!).toString()).toBe('abc');
    expect(req.outputs).toEqual([{ name: 'y', binary: false }]);
  });

  it('reads aligned binary data in place, as a view into the body', () => {
    const header = { inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }, { name: 's', shape: [1, 1], datatype: 'BYTES', data: ['q'] }] };
    const json = Buffer.from(JSON.stringify(header));
    // The body laid out as the HTTP body reader does: the binary part starts on an 8-byte boundary.
    const pad = (8 - (json.byteLength % 8)) % 8;
    const memory = new ArrayBuffer(pad + json.byteLength + 8);
    const body = Buffer.from(memory, pad, json.byteLength + 8);
    json.copy(body);
    Buffer.from(new Float32Array([3, 4]).buffer).copy(body, json.byteLength);
    const data = parseInferRequest(body, String(json.byteLength), model).inputs[0]!.data as Float32Array;
    expect(Array.from(data)).toEqual([3, 4]);
    expect(data.buffer).toBe(memory);
    expect(data.byteOffset).toBe(pad + json.byteLength);
  });

  it.each([1, 2, 3, 5, 6, 7])('copies binary data that lies %i bytes past an aligned offset, and decodes it right', (shift) => {
    const header = { inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }, { name: 's', shape: [1, 1], datatype: 'BYTES', data: ['q'] }] };
    const json = Buffer.from(JSON.stringify(header));
    const memory = new ArrayBuffer(64 + json.byteLength + 8);
    // The binary part starts `shift` bytes past an 8-byte boundary: no Float32Array can view it there.
    const start = 8 * Math.ceil(json.byteLength / 8) + shift - json.byteLength + 8;
    const body = Buffer.from(memory, start, json.byteLength + 8);
    json.copy(body);
    Buffer.from(new Float32Array([1.25, 7.5]).buffer).copy(body, json.byteLength);
    const req = parseInferRequest(body, String(json.byteLength), model);
    const data = req.inputs[0]!.data as Float32Array;
    expect(Array.from(data)).toEqual([1.25, 7.5]);
    expect(data.buffer).not.toBe(memory);
    expect(data.byteOffset).toBe(0);
    expect(data.buffer.byteLength).toBe(8);
  });

  it.each([
    ['a header length that is not a number', () => parseInferRequest(Buffer.from('{}'), 'abc', model), /must be a non-negative integer/],
    ['a header length past the body', () => parseInferRequest(Buffer.from('{}'), '99', model), /is 99 but the body holds 2 bytes/],
    ['a missing input', () => parseInferRequest(Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] })), undefined, model), /input 's' is missing/],
    ['a duplicated input', () => parseInferRequest(Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] }, { name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] })), undefined, model), /'a' is given twice/],
    ['batch dimensions that disagree', () => parseInferRequest(Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }, { name: 's', shape: [1, 1], datatype: 'BYTES', data: ['x'] }] })), undefined, model), /batch dimension is 1, input 'a' has 2/],
    ['both data and binary_data_size', () => parseInferRequest(Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2], parameters: { binary_data_size: 8 } }] })), undefined, single), /either 'data' or binary_data_size/],
    ['a wrong binary_data_size', () => parseInferRequest(Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 7 } }] })), undefined, single), /binary_data_size is 7, shape \[1,2\] of FP32 needs 8 bytes/],
    ['a body that is not an object', () => parseInferRequest(Buffer.from('[1]'), undefined, model), /must be a JSON object/],
    ['a non-string id', () => parseInferRequest(Buffer.from(JSON.stringify({ id: 5, inputs: [] })), undefined, model), /'id' must be a string/],
    ['a bad output entry', () => parseInferRequest(Buffer.from(JSON.stringify({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] }], outputs: [{ name: 'y', parameters: { binary_data: 'yes' } }] })), undefined, single), /binary_data must be true or false/],
  ])('refuses %s', (_what, run, message) => {
    expect(run).toThrow(message);
  });

  it('reads BYTES binary data element by element and refuses truncation', () => {
    const { body, length } = framed({ inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] }, { name: 's', shape: [1, 1], datatype: 'BYTES', parameters: { binary_data_size: 5 } }] }, Buffer.from([9, 0, 0, 0, 65]));
    expect(() => parseInferRequest(body, length, model)).toThrow(/BYTES element 0 claims 9 bytes, only 1 remain/);
  });

  it('reads a raw body for a single-input model and derives the dynamic dimension', () => {
    const req = parseInferRequest(Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer), '0', single);
    expect(req.inputs[0]!.shape).toEqual([3, 2]);
    expect(() => parseInferRequest(Buffer.from(new Float32Array([1, 2, 3]).buffer), '0', single)).toThrow(/not a whole number of \[-1,2\] FP32 tensors/);
    expect(() => parseInferRequest(Buffer.alloc(8), '0', model)).toThrow(/needs a single-input model/);
    expect(() => parseInferRequest(Buffer.alloc(0), '0', single)).toThrow(/raw body is empty/);
  });
});

describe('encodeInferResponse', () => {
  it('puts binary outputs after the JSON header and states their size', () => {
    const out = [{ name: 'y', datatype: 'FP32' as const, shape: [2, 1], data: new Float32Array([1, 2]) }];
    const enc = encodeInferResponse(model, 'i', out, [{ name: 'y', binary: true }]);
    expect(enc.parts).toHaveLength(1);
    const body = enc.parts[0]!;
    const header = JSON.parse(body.subarray(0, enc.headerLength).toString());
    expect(header).toEqual({ model_name: 'm', model_version: '1', id: 'i', parameters: { bundle_digest: 'd'.repeat(64) }, outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 1], parameters: { binary_data_size: 8 } }] });
    expect(body.byteLength).toBe(enc.headerLength! + 8);
    expect(enc.byteLength).toBe(body.byteLength);
    expect([...new Float32Array(new Uint8Array(body.subarray(enc.headerLength)).buffer)]).toEqual([1, 2]);
    const plain = encodeInferResponse(model, undefined, out, [{ name: 'y', binary: false }]);
    expect(plain.headerLength).toBeUndefined();
    expect(JSON.parse(plain.parts[0]!.toString()).outputs[0].data).toEqual([1, 2]);
  });

  it('leaves a large binary output where it is: a view of its memory after the header, not a copy', () => {
    const data = Float32Array.from({ length: 100_000 }, (_, i) => i);
    const enc = encodeInferResponse(model, undefined, [{ name: 'y', datatype: 'FP32', shape: [100_000, 1], data }], [{ name: 'y', binary: true }]);
    expect(enc.parts).toHaveLength(2);
    expect(enc.parts[1]!.buffer).toBe(data.buffer);
    expect(enc.byteLength).toBe(enc.headerLength! + 400_000);
    expect(JSON.parse(enc.parts[0]!.toString()).outputs[0].parameters.binary_data_size).toBe(400_000);
  });
});
