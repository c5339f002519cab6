import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody, floatsFrom, readBinaryResponse } from '../helpers/binary.js';
import { maxAbsDiff, readGolden } from '../helpers/golden.js';
import { getJson, startTestServer, TempRepository, THIRD_PARTY } from '../helpers/server.js';

/**
 * Any ONNX model a hospital drops in must serve without a manifest: three real third-party models,
 * each as a bare version folder, checked against golden outputs or a direct onnxruntime-node run.
 */
let server: ClinferServer;
const repo = new TempRepository()
  .add('mnist', '1', { 'model.ort': { copy: join(THIRD_PARTY, 'mnist/model.ort') } })
  .add('super-resolution', '1', { 'model.onnx': { copy: join(THIRD_PARTY, 'super_resolution/model.onnx') } })
  .add('ppocr-cls', '1', { 'model.onnx': { copy: join(THIRD_PARTY, 'ppocr_cls/model.onnx') } });

beforeAll(async () => {
  server = await startTestServer(repo.root);
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

async function inferBinary(model: string, input: { name: string; shape: number[]; data: Float32Array }) {
  const { body, headerLength } = binaryBody(
    { inputs: [{ name: input.name, shape: input.shape, datatype: 'FP32', parameters: { binary_data_size: input.data.byteLength } }], parameters: { binary_data_output: true } },
    input.data,
  );
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength) } });
  expect(res.status).toBe(200);
  const { json, rest } = await readBinaryResponse(res);
  return { json, values: floatsFrom(rest) };
}

async function direct(file: string, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const out = await session.run(feeds);
  await session.release();
  return out;
}

describe('bare model folders', () => {
  it('auto-fills metadata from the graph (fixed shapes: no batching)', async () => {
    const { status, json } = await getJson(`${server.url}/v2/models/mnist`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      name: 'mnist', platform: 'onnxruntime_onnx', metadata_source: 'autofill', max_batch_size: 0,
      inputs: [{ name: 'Input3', datatype: 'FP32', shape: [1, 1, 28, 28] }],
      outputs: [{ name: 'Plus214_Output_0', datatype: 'FP32', shape: [1, 10] }],
    });
  });

  it('auto-fills -1 for symbolic dimensions and allows batching on a dynamic first dimension', async () => {
    const { json } = await getJson(`${server.url}/v2/models/ppocr-cls`);
    expect(json.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }]);
    expect(json.outputs).toEqual([{ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] }]);
    expect(json.max_batch_size).toBeGreaterThan(1);
    const sr = await getJson(`${server.url}/v2/models/super-resolution`);
    expect(sr.json.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 1, 224, 224] }]);
  });

  it('mnist (ORT format) reproduces its golden output', async () => {
    const input = readGolden(join(THIRD_PARTY, 'mnist/test_data_set_0/input_0'));
    const expected = readGolden(join(THIRD_PARTY, 'mnist/test_data_set_0/output_0'));
    const { json, values } = await inferBinary('mnist', { name: 'Input3', shape: input.shape, data: input.data });
    expect(json.outputs[0].shape).toEqual(expected.shape);
    expect(maxAbsDiff(values, expected.data)).toBeLessThan(1e-5);
  });

  it('super-resolution matches a direct onnxruntime-node run', async () => {
    const input = readGolden(join(THIRD_PARTY, 'super_resolution/test_data_set_0/input_0'));
    const { json, values } = await inferBinary('super-resolution', { name: 'input', shape: input.shape, data: input.data.slice() });
    expect(json.outputs[0].shape).toEqual([1, 1, 672, 672]);
    const ref = await direct(join(THIRD_PARTY, 'super_resolution/model.onnx'), { input: new ort.Tensor('float32', input.data, input.shape) });
    expect(maxAbsDiff(values, ref.output!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('ppocr-cls serves dynamic height and width and matches a direct run', async () => {
    const input = readGolden(join(THIRD_PARTY, 'ppocr_cls/test_data_set_0/input_0'));
    const { json, values } = await inferBinary('ppocr-cls', { name: 'x', shape: input.shape, data: input.data.slice() });
    expect(json.outputs[0].shape).toEqual([2, 2]);
    const ref = await direct(join(THIRD_PARTY, 'ppocr_cls/model.onnx'), { x: new ort.Tensor('float32', input.data, input.shape) });
    expect(maxAbsDiff(values, ref['softmax_0.tmp_0']!.data as Float32Array)).toBeLessThan(1e-5);
  });
});
