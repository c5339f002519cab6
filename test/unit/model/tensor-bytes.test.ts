import { describe, expect, it } from 'vitest';
import { buildModelConfig } from '../../../runtime/model/build-model-config.js';
import { budgetedBatchSize, bytesPerItem, PROTOCOL_OVERHEAD_BYTES, requestBytesNeeded, requestLimit } from '../../../runtime/model/tensor-bytes.js';

const MiB = 1024 * 1024;
const volume = { name: 'v', datatype: 'FP32' as const, shape: [-1, 1, 256, 256, 256] };

describe('tensor sizes', () => {
  it('per item leaves out the batch; a dynamic inner dimension or BYTES is unknown', () => {
    expect(bytesPerItem([volume], true)).toBe(64 * MiB);
    expect(bytesPerItem([{ name: 'x', datatype: 'INT64', shape: [2, 3] }], false)).toBe(48);
    expect(bytesPerItem([{ name: 'x', datatype: 'FP32', shape: [-1, -1] }], true)).toBeUndefined();
    expect(bytesPerItem([{ name: 's', datatype: 'BYTES', shape: [-1, 1] }], true)).toBeUndefined();
  });

  it('a request needs a full batch in binary plus overhead, limited by the floor and the ceiling', () => {
    expect(requestBytesNeeded([volume], 2)).toBe(128 * MiB + PROTOCOL_OVERHEAD_BYTES);
    expect(requestBytesNeeded([{ ...volume, shape: [1, 1, 256, 256, 256] }], 0)).toBe(64 * MiB + PROTOCOL_OVERHEAD_BYTES);
    expect(requestLimit(129 * MiB, 64 * MiB, 1024 * MiB)).toBe(129 * MiB);
    expect(requestLimit(MiB, 64 * MiB, 1024 * MiB)).toBe(64 * MiB);
    expect(requestLimit(undefined, 64 * MiB, 1024 * MiB)).toBe(64 * MiB);
    expect(requestLimit(4096 * MiB, 64 * MiB, 1024 * MiB)).toBe(1024 * MiB);
  });

  it('autofill fits a batch in the budget: 64 MiB in + 64 MiB out gets 2, 64 MiB in + 200 MiB out gets 1, small models keep 32', () => {
    expect(budgetedBatchSize(128 * MiB, 256 * MiB, 32)).toBe(2);
    expect(budgetedBatchSize(264 * MiB, 256 * MiB, 32)).toBe(1);
    expect(budgetedBatchSize(4096, 256 * MiB, 32)).toBe(32);
    expect(budgetedBatchSize(undefined, 256 * MiB, 32)).toBe(32);
  });
});

describe('buildModelConfig with a budget and limits', () => {
  const graph = { provider: 'cpu', inputs: [{ name: 'v', isTensor: true, type: 'float32', shape: ['n', 1, 256, 256, 256] }], outputs: [{ name: 'm', isTensor: true, type: 'float32', shape: ['n', 1, 256, 256, 256] }] };
  const id = { name: 'vol', version: '1', bundleFile: 'bundle.json', digest: 'd'.repeat(64) };
  const defaults = { autofillMaxBatchSize: 32, instances: 1, maxQueueSize: 10, maxQueueDelayUs: undefined, autofillBatchBudgetBytes: 256 * MiB, maxBodyBytes: 64 * MiB, maxBodyBytesCeiling: 1024 * MiB };

  it('gives a 3D model max_batch_size 2 and a request limit of two volumes', () => {
    const c = buildModelConfig(id, graph, undefined, defaults);
    expect(c.maxBatchSize).toBe(2);
    expect(c.requestBytesNeeded).toBe(128 * MiB + PROTOCOL_OVERHEAD_BYTES);
    expect(c.maxRequestBytes).toBe(128 * MiB + PROTOCOL_OVERHEAD_BYTES);
  });

  it('a half-volume budget still gives 1 (batching off), and the ceiling caps the limit', () => {
    const c = buildModelConfig(id, graph, undefined, { ...defaults, autofillBatchBudgetBytes: 32 * MiB, maxBodyBytesCeiling: 32 * MiB });
    expect(c.maxBatchSize).toBe(0);
    expect(c.maxRequestBytes).toBe(32 * MiB);
  });
});
