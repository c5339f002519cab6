import { describe, expect, it } from 'vitest';
import { buildModelConfig } from '../../../runtime/model/build-model-config.js';
import { bundleSchema } from '../../../runtime/bundle/bundle-schema.js';

const graph = {
  provider: 'cpu',
  inputs: [{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 3, 'h', 'w'] }],
  outputs: [{ name: 'y', isTensor: true, type: 'float32', shape: ['batch', 2] }, { name: 'zip', isTensor: false }, { name: 'q', isTensor: true, type: 'int4', shape: [1] }],
};
const id = { name: 'm', version: '1', bundleFile: '/r/m/1/bundle.json', digest: 'd'.repeat(64) };
const defaults = { autofillMaxBatchSize: 32, instances: 2, maxQueueSize: 100, maxQueueDelayUs: undefined };
const bundle = (patch: object) => bundleSchema.parse({ schema_version: 1, name: 'm', version: '1', task: 'other', model: { file: 'model.onnx', sha256: 'a'.repeat(64) }, ...patch });

describe('buildModelConfig', () => {
  it('auto-fills from the graph: -1 for symbolic dims, batching on a dynamic first dim, unsupported outputs listed', () => {
    const c = buildModelConfig(id, graph, undefined, defaults);
    expect(c.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }]);
    expect(c.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [-1, 2] }]);
    expect(c.unsupportedOutputs.map((u) => u.name)).toEqual(['zip', 'q']);
    expect(c).toMatchObject({ maxBatchSize: 32, instances: 2, source: 'autofill' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lets a bundle narrow dynamic dimensions and set batching and instances', () => {
    const c = buildModelConfig(id, graph, bundle({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 28, 28] }], max_batch_size: 8, execution: { providers: ['cpu'], instances: 1 } }), defaults);
    expect(c.inputs[0]!.shape).toEqual([-1, 3, 28, 28]);
    expect(c).toMatchObject({ maxBatchSize: 8, instances: 1, source: 'bundle' });
  });

  it('fills the scheduling policy from the bundle, the server defaults and the server override', () => {
    const b = bundle({ max_batch_size: 8, scheduling: { max_queue_delay_us: 2000, preferred_batch_sizes: [8, 4, 16], max_queue_size: 5, default_timeout_us: 1_500_000 } });
    expect(buildModelConfig(id, graph, b, defaults).scheduling).toEqual({ maxQueueDelayMs: 2, preferredBatchSizes: [4, 8], maxQueueSize: 5, defaultTimeoutMs: 1500 });
    expect(buildModelConfig(id, graph, b, { ...defaults, maxQueueDelayUs: 0 }).scheduling.maxQueueDelayMs).toBe(0);
    expect(buildModelConfig(id, graph, undefined, defaults).scheduling).toEqual({ maxQueueDelayMs: 0, preferredBatchSizes: [], maxQueueSize: 100, defaultTimeoutMs: 0 });
  });

  it.each([
    [{ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4, 28, 28] }] }, "field 'inputs[0].shape': dimension 1 is 4, the graph fixes it at 3"],
    [{ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }] }, "field 'inputs[0].shape': has rank 2"],
    [{ inputs: [{ name: 'x', datatype: 'INT8', shape: [-1, 3, 1, 1] }] }, "field 'inputs[0].datatype': is INT8, the graph says FP32"],
    [{ outputs: [{ name: 'zip', datatype: 'FP32', shape: [1] }] }, "field 'outputs[0].name': 'zip' is not a tensor output of the graph"],
  ])('refuses a bundle that contradicts the graph (%#)', (patch, message) => {
    expect(() => buildModelConfig(id, graph, bundle(patch), defaults)).toThrow(`/r/m/1/bundle.json: ${message}`);
  });

  it('does not batch a graph with a fixed first dimension, and refuses a bundle that asks to', () => {
    const fixed = { ...graph, inputs: [{ name: 'x', isTensor: true, type: 'float32', shape: [1, 3] }] };
    expect(buildModelConfig(id, fixed, undefined, defaults).maxBatchSize).toBe(0);
    expect(() => buildModelConfig(id, fixed, bundle({ max_batch_size: 4 }), defaults)).toThrow(/'max_batch_size': is 4 but 'x' has no dynamic first dimension/);
  });

  it('refuses a graph input clinfer cannot feed', () => {
    expect(() => buildModelConfig(id, { ...graph, inputs: [{ name: 'seq', isTensor: false }] }, undefined, defaults)).toThrow(/graph input 'seq' is not a tensor/);
  });
});
