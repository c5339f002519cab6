import { describe, expect, it } from 'vitest';
import { buildModelConfig } from '../../../runtime/model/build-model-config.js';
import { bundleSchema } from '../../../runtime/bundle/bundle-schema.js';
import { tritonModelConfig } from '../../../runtime/protocol/triton-config.js';

const graph = (first: string | number) => ({
  provider: 'cpu',
  inputs: [{ name: 'x', isTensor: true, type: 'float32', shape: [first, 3] }, { name: 's', isTensor: true, type: 'string', shape: [first] }],
  outputs: [{ name: 'y', isTensor: true, type: 'float32', shape: [first, 2] }],
});
const id = { name: 'm', version: '1', bundleFile: '/r/m/1/bundle.json', digest: 'd'.repeat(64) };
const defaults = { autofillMaxBatchSize: 32, instances: 2, maxQueueSize: 100, maxQueueDelayUs: 100 };
const bundle = bundleSchema.parse({ schema_version: 1, name: 'm', version: '1', task: 'other', model: { file: 'model.onnx', sha256: 'a'.repeat(64) }, max_batch_size: 16, scheduling: { preferred_batch_sizes: [8] } });
const facts = { versionPolicy: { latest: 1 }, modelPath: '/r/m/1/model.onnx', intraOpThreads: 2 };

describe("a load's configuration override, in buildModelConfig", () => {
  it('goes over the bundle and the server defaults', () => {
    const c = buildModelConfig(id, graph('batch'), bundle, { ...defaults, override: { maxBatchSize: 4, maxQueueDelayUs: 500, preferredBatchSizes: [2], maxQueueSize: 7, defaultTimeoutUs: 1000 } });
    expect(c.maxBatchSize).toBe(4);
    expect(c.scheduling).toEqual({ maxQueueDelayMs: 0.5, preferredBatchSizes: [2], maxQueueSize: 7, defaultTimeoutMs: 1 });
  });

  it('refuses a max_batch_size the graph cannot take as INVALID_PARAMETER naming the field', () => {
    expect(() => buildModelConfig(id, graph(1), undefined, { ...defaults, override: { maxBatchSize: 8 } }))
      .toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER', message: expect.stringMatching(/parameters.config: field 'max_batch_size' is 8 but 'x' .*no dynamic first dimension/) }));
  });
});

describe("Triton's model configuration form", () => {
  it('drops the batch dimension from dims when the model batches and shows dynamic batching', () => {
    const t = tritonModelConfig(buildModelConfig(id, graph('batch'), bundle, defaults), facts);
    expect(t).toMatchObject({
      max_batch_size: 16, backend: 'onnxruntime', default_model_filename: 'model.onnx',
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }, { name: 's', data_type: 'TYPE_STRING', dims: [] }],
      output: [{ name: 'y', data_type: 'TYPE_FP32', dims: [2] }],
      dynamic_batching: { preferred_batch_size: [8], max_queue_delay_microseconds: 100, default_queue_policy: { max_queue_size: 100 } },
      instance_group: [{ kind: 'KIND_CPU', count: 2, gpus: [] }],
      parameters: { intra_op_thread_count: { string_value: '2' } },
    });
  });

  it('keeps the full shape and no dynamic_batching for a model that does not batch; shows the version policy', () => {
    const t = tritonModelConfig(buildModelConfig(id, graph(1), undefined, defaults), { ...facts, versionPolicy: { specific: ['1', '3'] } });
    expect(t.max_batch_size).toBe(0);
    expect(t.input[0]!.dims).toEqual([1, 3]);
    expect(t.dynamic_batching).toBeUndefined();
    expect(t.parameters.max_queue_size).toEqual({ string_value: '100' });
    expect(t.version_policy).toEqual({ specific: { versions: [1, 3] } });
    expect(tritonModelConfig(buildModelConfig(id, graph(1), undefined, defaults), { ...facts, versionPolicy: { all: true } }).version_policy).toEqual({ all: {} });
  });
});
