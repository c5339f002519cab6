import { describe, expect, it } from 'vitest';
import { applyClassification } from '../../../runtime/protocol/classification.js';
import type { Tensor } from '../../../runtime/tensor/tensor.js';

const strings = (t: Tensor) => (t.data as Uint8Array[]).map((b) => Buffer.from(b).toString());

describe('classification extension', () => {
  const scores: Tensor = { name: 'p', datatype: 'FP32', shape: [2, 3], data: Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.5, 0.25]) };

  it('answers the top K per batch row as "score:index:label", ties by index', () => {
    const [out] = applyClassification([scores], [{ name: 'p', binary: false, classification: 2 }], ['a', 'b', 'c'], true);
    expect(out).toMatchObject({ name: 'p', datatype: 'BYTES', shape: [2, 2] });
    expect(strings(out!)).toEqual([`${Math.fround(0.7).toFixed(6)}:1:b`, `${Math.fround(0.2).toFixed(6)}:2:c`, '0.500000:0:a', '0.500000:1:b']);
  });

  it('leaves the label out when the labels do not name every class, and caps K at the class count', () => {
    const [out] = applyClassification([scores], [{ name: 'p', binary: false, classification: 9 }], ['only-one'], true);
    expect(out!.shape).toEqual([2, 3]);
    expect(strings(out!)[0]).toBe(`${Math.fround(0.7).toFixed(6)}:1`);
  });

  it('treats a non-batching model as one row, shape [K]; integer and other outputs pass untouched', () => {
    const ints: Tensor = { name: 'q', datatype: 'INT64', shape: [4], data: BigInt64Array.from([3n, 9n, -1n, 4n]) };
    const [p, q] = applyClassification([scores, ints], [{ name: 'p', binary: false }, { name: 'q', binary: true, classification: 1 }], [], false);
    expect(p).toBe(scores);
    expect(q!.shape).toEqual([1]);
    expect(strings(q!)).toEqual(['9.000000:1']);
  });
});
