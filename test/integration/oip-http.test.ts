import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody, floatsFrom, readBinaryResponse } from '../helpers/binary.js';
import { maxAbsDiff } from '../helpers/golden.js';
import { DEMO_MODELS, getJson, postJson, startTestServer } from '../helpers/server.js';

/** The Open Inference Protocol v2 over HTTP, against the bundled demo models and real ONNX Runtime. */
let server: ClinferServer;
let url: string;

const heartRows = [
  [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6],
  [67, 1, 4, 160, 286, 0, 2, 108, 1, 1.5, 2, 3, 3],
  [41, 0, 2, 130, 204, 0, 2, 172, 0, 1.4, 1, 0, 3],
];
const xray = Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => ((i * 37) % 255) / 255 - 0.5);

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS);
  url = server.url;
});
afterAll(() => server?.close());

async function directRun(model: string, input: string, data: Float32Array, dims: number[]) {
  const session = await ort.InferenceSession.create(join(DEMO_MODELS, model, '1', 'model.onnx'));
  const out = await session.run({ [input]: new ort.Tensor('float32', data, dims) });
  await session.release();
  return out;
}

describe('server endpoints', () => {
  it('GET /v2 names the server and its extensions', async () => {
    const { status, json } = await getJson(`${url}/v2`);
    expect(status).toBe(200);
    expect(json.name).toBe('clinfer');
    expect(json.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(json.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'model_repository']));
  });

  it('reports live and ready', async () => {
    expect((await getJson(`${url}/v2/health/live`)).status).toBe(200);
    const ready = await getJson(`${url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ ready: true });
  });

  it('answers 404 with a JSON error for an unknown route', async () => {
    const { status, json } = await getJson(`${url}/v2/nothing/here`);
    expect(status).toBe(404);
    expect(json.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('model metadata and readiness', () => {
  it('describes a bundled model with -1 for dynamic dimensions', async () => {
    const { status, json } = await getJson(`${url}/v2/models/heart-disease-risk`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      name: 'heart-disease-risk',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 13] }],
      outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1, 1] }],
      max_batch_size: 256,
      execution_provider: 'cpu',
      metadata_source: 'bundle',
    });
    expect(json.bundle.labels.map((l: any) => l.id)).toEqual(['no_disease', 'disease']);
  });

  it('answers the versioned metadata and ready endpoints', async () => {
    const meta = await getJson(`${url}/v2/models/chest-xray-pneumonia/versions/1`);
    expect(meta.status).toBe(200);
    expect(meta.json.inputs).toEqual([{ name: 'image', datatype: 'FP32', shape: [-1, 1, 28, 28] }]);
    const ready = await getJson(`${url}/v2/models/chest-xray-pneumonia/versions/1/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ ready: true, state: 'READY' });
    expect((await getJson(`${url}/v2/models/chest-xray-pneumonia/ready`)).status).toBe(200);
  });

  it('answers 404 for an unknown model or version', async () => {
    const model = await getJson(`${url}/v2/models/no-such-model`);
    expect(model.status).toBe(404);
    expect(model.json).toMatchObject({ code: 'MODEL_NOT_FOUND', error: expect.stringContaining('no-such-model') });
    const version = await getJson(`${url}/v2/models/heart-disease-risk/versions/7`);
    expect(version.status).toBe(404);
    expect(version.json.code).toBe('VERSION_NOT_FOUND');
    const infer = await postJson(`${url}/v2/models/no-such-model/infer`, { inputs: [] });
    expect(infer.status).toBe(404);
  });
});

describe('inference', () => {
  it('matches a direct onnxruntime-node run within 1e-5 (tabular, batch of 3)', async () => {
    const { status, json } = await postJson(`${url}/v2/models/heart-disease-risk/infer`, {
      id: 'req-42',
      inputs: [{ name: 'features', shape: [3, 13], datatype: 'FP32', data: heartRows }],
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ model_name: 'heart-disease-risk', model_version: '1', id: 'req-42' });
    expect(json.outputs[0]).toMatchObject({ name: 'probability', datatype: 'FP32', shape: [3, 1] });
    const direct = await directRun('heart-disease-risk', 'features', Float32Array.from(heartRows.flat()), [3, 13]);
    expect(maxAbsDiff(json.outputs[0].data, direct.probability!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('gives identical outputs for JSON and binary tensor data', async () => {
    const jsonRes = await postJson(`${url}/v2/models/chest-xray-pneumonia/infer`, {
      inputs: [{ name: 'image', shape: [2, 1, 28, 28], datatype: 'FP32', data: Array.from(xray) }],
    });
    expect(jsonRes.status).toBe(200);
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 'image', shape: [2, 1, 28, 28], datatype: 'FP32', parameters: { binary_data_size: xray.byteLength } }], outputs: [{ name: 'logits', parameters: { binary_data: true } }] },
      xray,
    );
    const res = await fetch(`${url}/v2/models/chest-xray-pneumonia/infer`, {
      method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(200);
    const { json, rest } = await readBinaryResponse(res);
    expect(json.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } });
    const binaryValues = floatsFrom(rest);
    expect(Array.from(binaryValues)).toEqual(jsonRes.json.outputs[0].data);
    const direct = await directRun('chest-xray-pneumonia', 'image', xray.slice(), [2, 1, 28, 28]);
    expect(maxAbsDiff(binaryValues, direct.logits!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('accepts nested data and the binary_data_output request parameter', async () => {
    const { status, json, headers } = await postJson(`${url}/v2/models/heart-disease-risk/infer`, {
      inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [heartRows[0]] }],
    });
    expect(status).toBe(200);
    expect(headers.get('inference-header-content-length')).toBeNull();
    const res = await fetch(`${url}/v2/models/heart-disease-risk/infer`, {
      method: 'POST',
      body: JSON.stringify({ parameters: { binary_data_output: true }, inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: heartRows[0] }] }),
    });
    const bin = await readBinaryResponse(res);
    expect(floatsFrom(bin.rest)[0]).toBeCloseTo(json.outputs[0].data[0], 6);
  });

  it('accepts the raw binary body of a single-input model (header value 0)', async () => {
    const row = Float32Array.from(heartRows[1]!);
    const res = await fetch(`${url}/v2/models/heart-disease-risk/infer`, {
      method: 'POST', body: Buffer.from(row.buffer), headers: { 'inference-header-content-length': '0', 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(200);
    const json: any = await res.json();
    const direct = await directRun('heart-disease-risk', 'features', row.slice(), [1, 13]);
    expect(json.outputs[0].shape).toEqual([1, 1]);
    expect(maxAbsDiff(json.outputs[0].data, direct.probability!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('returns only the outputs asked for', async () => {
    const { status, json } = await postJson(`${url}/v2/models/heart-disease-risk/infer`, {
      inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: heartRows[0] }],
      outputs: [{ name: 'probability' }],
    });
    expect(status).toBe(200);
    expect(json.outputs.map((o: any) => o.name)).toEqual(['probability']);
  });
});

describe('bad requests are refused with 400 naming what is wrong', () => {
  const infer = (body: unknown) => postJson(`${url}/v2/models/heart-disease-risk/infer`, body);
  const good = { name: 'features', shape: [1, 13], datatype: 'FP32', data: heartRows[0] };

  it.each([
    ['a wrong input name', { inputs: [{ ...good, name: 'feature' }] }, /no input 'feature'.*'features'/],
    ['a wrong datatype', { inputs: [{ ...good, datatype: 'INT32' }] }, /'features': datatype is INT32, the model expects FP32/],
    ['an unknown datatype', { inputs: [{ ...good, datatype: 'FLOAT' }] }, /"FLOAT" is not a protocol datatype/],
    ['a wrong rank', { inputs: [{ ...good, shape: [13] }] }, /'features': shape \[13\] has rank 1/],
    ['a wrong fixed dimension', { inputs: [{ ...good, shape: [1, 12], data: heartRows[0]!.slice(1) }] }, /dimension 1 is 12/],
    ['a wrong element count', { inputs: [{ ...good, data: heartRows[0]!.slice(1) }] }, /data holds 12 elements, shape \[1,13\] needs 13/],
    ['a non-number element', { inputs: [{ ...good, data: [...heartRows[0]!.slice(1), 'x'] }] }, /element 12 must be a finite number/],
    ['a missing input', { inputs: [] }, /'inputs' must be a non-empty array/],
    ['an unknown output', { inputs: [good], outputs: [{ name: 'nope' }] }, /no output 'nope'/],
    ['a batch over max_batch_size', { inputs: [{ ...good, shape: [257, 13], data: new Array(257 * 13).fill(0) }] }, /batch of 257 exceeds the model's max_batch_size 256/],
    ['a negative dimension', { inputs: [{ ...good, shape: [-1, 13] }] }, /shape must be an array of non-negative integers/],
  ])('%s', async (_what, body, message) => {
    const { status, json } = await infer(body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
    expect(json.code).toMatch(/^INVALID_/);
  });

  it('refuses invalid JSON', async () => {
    const res = await fetch(`${url}/v2/models/heart-disease-risk/infer`, { method: 'POST', body: '{"inputs": [' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/not valid JSON/);
  });

  it('refuses a shape claiming 10^9 elements before allocating, whatever binary_data_size says', async () => {
    const { status, json } = await postJson(`${url}/v2/models/chest-xray-pneumonia/infer`, {
      inputs: [{ name: 'image', shape: [1_000_000_000, 1, 28, 28], datatype: 'FP32', parameters: { binary_data_size: 4 } }],
    });
    expect(status).toBe(400);
    expect(json.error).toMatch(/binary_data_size is 4|exceeds the model's max_batch_size/);
  });

  it('refuses binary data whose length does not match the header', async () => {
    const { body, headerLength } = binaryBody({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', parameters: { binary_data_size: 52 } }] }, new Uint8Array(40));
    const res = await fetch(`${url}/v2/models/heart-disease-risk/infer`, { method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength) } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/add up to 52 bytes, the body carries 40/);
  });

  it('answers 413 for a body over the limit', async () => {
    const big = 'x'.repeat(65 * 1024 * 1024);
    const res = await fetch(`${url}/v2/models/heart-disease-risk/infer`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).code).toBe('BODY_TOO_LARGE');
  });
});
