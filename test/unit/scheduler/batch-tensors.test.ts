import { describe, expect, it } from 'vitest';
import { batchKey, concatBatch, splitBatch } from '../../../runtime/scheduler/batch-tensors.js';

describe('batch tensors', () => {
  const a = { name: 'x', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([1, 2]) };
  const b = { name: 'x', datatype: 'FP32' as const, shape: [2, 2], data: new Float32Array([3, 4, 5, 6]) };

  it('concatenates along the batch dimension and splits back to the same rows', () => {
    const joined = concatBatch([a, b]);
    expect(joined.shape).toEqual([3, 2]);
    expect(Array.from(joined.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const [pa, pb] = splitBatch(joined, [1, 2]);
    expect(pa).toEqual(a);
    expect(pb).toEqual(b);
    expect((pb!.data as Float32Array).buffer).not.toBe((joined.data as Float32Array).buffer);
  });

  it('handles BYTES tensors', () => {
    const s = (v: string) => new Uint8Array(Buffer.from(v));
    const joined = concatBatch([{ name: 's', datatype: 'BYTES', shape: [1], data: [s('a')] }, { name: 's', datatype: 'BYTES', shape: [1], data: [s('b')] }]);
    expect(joined.data).toEqual([s('a'), s('b')]);
    expect(splitBatch(joined, [1, 1])[1]!.data).toEqual([s('b')]);
  });

  it('keys requests by non-batch shapes and requested outputs', () => {
    expect(batchKey([a], ['y'])).toBe(batchKey([b], ['y']));
    expect(batchKey([a], ['y'])).not.toBe(batchKey([{ ...a, shape: [1, 3] }], ['y']));
    expect(batchKey([a], ['y'])).not.toBe(batchKey([a], ['y', 'z']));
  });
});
