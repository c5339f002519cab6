import { describe, expect, it } from 'vitest';
import { handOver, toWire } from '../../../runtime/pool/wire.js';
import { concatBatch } from '../../../runtime/scheduler/batch-tensors.js';

/** How input values cross to a worker thread: shared memory as is, owned buffers moved, views copied. */
describe('handOver', () => {
  it('leaves a view into shared memory as it is, moving nothing (the worker reads it in place)', () => {
    const body = new SharedArrayBuffer(64);
    const view = new Float32Array(body, 8, 4);
    const moved = new Set<ArrayBuffer>();
    expect(handOver(view, false, moved)).toBe(view);
    expect(handOver(view, true, moved)).toBe(view);
    expect(moved.size).toBe(0);
  });

  it('moves a buffer the tensor owns whole, or copies it when the caller keeps it', () => {
    const own = new Float32Array([1, 2, 3]);
    const moved = new Set<ArrayBuffer>();
    expect(handOver(own, false, moved)).toBe(own);
    expect([...moved]).toEqual([own.buffer]);
    const kept = new Set<ArrayBuffer>();
    const copy = handOver(own, true, kept);
    expect(copy).not.toBe(own);
    expect([...copy]).toEqual([1, 2, 3]);
    expect([...kept]).toEqual([copy.buffer]);
  });

  it('copies a view into a larger buffer (a gRPC message, a Buffer pool slab) instead of moving all of it', () => {
    const message = new ArrayBuffer(1024);
    const view = new Int32Array(message, 16, 2);
    view.set([7, -7]);
    const moved = new Set<ArrayBuffer>();
    const sent = handOver(view, false, moved);
    expect(sent).not.toBe(view);
    expect([...sent]).toEqual([7, -7]);
    expect(sent.buffer.byteLength).toBe(8);
    expect(moved.has(message)).toBe(false);
    expect(moved.has(sent.buffer as ArrayBuffer)).toBe(true);
  });

  it('copies the second of two tensors over one buffer (a buffer can be moved once)', () => {
    const shared = new Float64Array([1, 2]);
    const moved = new Set<ArrayBuffer>();
    const first = handOver(shared, false, moved);
    const second = handOver(shared, false, moved);
    expect(first).toBe(shared);
    expect(second).not.toBe(shared);
    expect(moved.size).toBe(2);
  });
});

describe('toWire', () => {
  it('sends a batch of shared-memory rows as its parts (the worker joins them), without joining them here', () => {
    const body = new SharedArrayBuffer(32);
    const p1 = new Int32Array(body, 0, 2);
    const p2 = new Int32Array(body, 16, 4);
    const batch = concatBatch([{ name: 'x', datatype: 'INT32', shape: [1, 2], data: p1 }, { name: 'x', datatype: 'INT32', shape: [2, 2], data: p2 }]);
    const wire = toWire(batch);
    expect(wire).toEqual({ name: 'x', type: 'int32', dims: [3, 2], data: p1, rest: [p2] });
    expect(wire.data).toBe(p1);
    expect(wire.rest![0]).toBe(p2);
  });

  it('sends any other tensor whole, without parts', () => {
    const wire = toWire({ name: 'x', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) });
    expect(wire.rest).toBeUndefined();
    expect([...(wire.data as Float32Array)]).toEqual([1, 2]);
  });
});
