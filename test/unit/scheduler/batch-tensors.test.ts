import { describe, expect, it } from 'vitest';
import { batchKey, concatBatch, splitBatch } from '../../../runtime/scheduler/batch-tensors.js';
import { sharedParts } from '../../../runtime/tensor/shared-batch.js';

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

  it('keeps parts in shared memory as they are (the worker joins them), and joins them once when read here', () => {
    const body = new SharedArrayBuffer(64);
    const p1 = new Float32Array(body, 8, 2);
    const p2 = new Float32Array(body, 32, 4);
    p1.set([1, 2]);
    p2.set([3, 4, 5, 6]);
    const joined = concatBatch([{ ...a, data: p1 }, { ...b, data: p2 }]);
    expect(joined.shape).toEqual([3, 2]);
    const parts = sharedParts(joined)!;
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(p1);
    expect(parts[1]).toBe(p2);
    expect(Array.from(joined.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(joined.data).toBe(joined.data);
    expect((joined.data as Float32Array).buffer).not.toBeInstanceOf(SharedArrayBuffer);
    // A spread copy is a plain tensor with the joined values.
    const copy = { ...joined, name: 'y' };
    expect(Array.from(copy.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sharedParts(copy)).toBeUndefined();
    expect(splitBatch(joined, [1, 2])[1]).toEqual(b);
  });

  it('copies when any part is in ordinary memory, and leaves lone tensors and BYTES without parts', () => {
    const shared = new Float32Array(new SharedArrayBuffer(8));
    shared.set([1, 2]);
    const joined = concatBatch([{ ...a, data: shared }, b]);
    expect(sharedParts(joined)).toBeUndefined();
    expect(Array.from(joined.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sharedParts(concatBatch([{ ...a, data: shared }]))).toBeUndefined();
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
