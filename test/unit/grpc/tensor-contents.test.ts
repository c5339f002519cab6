import { describe, expect, it } from 'vitest';
import { contentsToBytes } from '../../../runtime/grpc/tensor-contents.js';

describe('contentsToBytes', () => {
  it('encodes typed contents as little-endian binary tensor data', () => {
    expect(new BigInt64Array(new Uint8Array(contentsToBytes('x', 'INT64', [2], { int64_contents: ['-9223372036854775808', '5'] })).buffer)).toEqual(new BigInt64Array([-9223372036854775808n, 5n]));
    expect([...contentsToBytes('x', 'BOOL', [3], { bool_contents: [true, false, true] })]).toEqual([1, 0, 1]);
    expect(contentsToBytes('x', 'BYTES', [2], { bytes_contents: [Buffer.from('ab'), Buffer.from('')] })).toEqual(Buffer.from([2, 0, 0, 0, 97, 98, 0, 0, 0, 0]));
    expect(new Float64Array(new Uint8Array(contentsToBytes('x', 'FP64', [1], { fp64_contents: [0.1] })).buffer)[0]).toBe(0.1);
  });

  it('refuses values out of range and counts that do not match the shape', () => {
    expect(() => contentsToBytes('x', 'UINT8', [1], { uint_contents: [256] })).toThrow("input 'x': element 0 (256) is out of UINT8 range");
    expect(() => contentsToBytes('x', 'INT8', [1], { int_contents: [-129] })).toThrow(/out of INT8 range/);
    expect(() => contentsToBytes('x', 'UINT64', [1], { uint64_contents: ['-1'] })).toThrow(/out of UINT64 range/);
    expect(() => contentsToBytes('x', 'FP32', [2, 2], { fp32_contents: [1] })).toThrow('contents.fp32_contents holds 1 elements, shape [2,2] needs 4');
    expect(() => contentsToBytes('x', 'FP16', [1], {})).toThrow(/raw_input_contents/);
  });
});
