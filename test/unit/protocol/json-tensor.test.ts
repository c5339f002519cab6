import { describe, expect, it } from 'vitest';
import { decodeJsonData, encodeJsonData } from '../../../runtime/protocol/json-tensor.js';

describe('decodeJsonData', () => {
  it('reads flat and nested data row-major into the datatype array', () => {
    expect(Array.from(decodeJsonData('x', 'FP32', [2, 2], [1, 2, 3, 4]) as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from(decodeJsonData('x', 'INT32', [2, 2], [[1, 2], [3, 4]]) as Int32Array)).toEqual([1, 2, 3, 4]);
    expect(decodeJsonData('x', 'INT64', [2], [-5, 2 ** 53 - 1])).toEqual(new BigInt64Array([-5n, 2n ** 53n - 1n]));
    expect(decodeJsonData('x', 'BOOL', [2], [true, false])).toEqual(new Uint8Array([1, 0]));
    expect(Buffer.from((decodeJsonData('x', 'BYTES', [1], ['é']) as Uint8Array[])[0]!).toString('utf8')).toBe('é');
  });

  it.each([
    ['UINT8', [256], /element 0 must be a value in UINT8 range \[0, 255\], got 256/],
    ['INT8', [-129], /INT8 range/],
    ['INT32', [1.5], /element 0 must be an integer for INT32, got 1.5/],
    ['UINT64', [-1], /UINT64 range/],
    ['BOOL', [1], /element 0 must be true or false, got 1/],
    ['FP32', ['1'], /element 0 must be a finite number, got a string/],
    ['FP32', [null], /element 0 must be a finite number, got null/],
    ['BYTES', [3], /element 0 must be a string, got 3/],
  ] as const)('refuses a bad %s element', (datatype, data, message) => {
    expect(() => decodeJsonData('x', datatype, [1], data as unknown as unknown[])).toThrow(message);
  });

  it('checks the element count and the nesting against the shape', () => {
    expect(() => decodeJsonData('img', 'FP32', [2, 2], [1, 2, 3])).toThrow("input 'img': data holds 3 elements, shape [2,2] needs 4");
    expect(() => decodeJsonData('img', 'FP32', [2, 2], [[1, 2], [3]])).toThrow(/nested data at \[1\] has 1 elements, dimension 1/);
    expect(() => decodeJsonData('img', 'FP32', [2], [[1], [2]])).toThrow(/deeper than shape/);
    expect(() => decodeJsonData('img', 'FP32', [2], 'abc')).toThrow(/'data' must be an array/);
  });

  it('refuses FP16 in JSON as an invalid input (400, as Triton)', () => {
    expect(() => decodeJsonData('h', 'FP16', [1], [1])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/FP16 cannot be sent as JSON/) }));
  });

  it('never allocates for a shape whose data does not match', () => {
    expect(() => decodeJsonData('x', 'FP32', [1_000_000_000, 1000], [])).toThrow(/needs 1000000000000/);
  });
});

describe('encodeJsonData', () => {
  it('writes booleans, strings, half floats and 64-bit integers as JSON values', () => {
    expect(encodeJsonData('BOOL', new Uint8Array([1, 0]))).toEqual([true, false]);
    expect(encodeJsonData('BYTES', [new Uint8Array(Buffer.from('ok'))])).toEqual(['ok']);
    expect(encodeJsonData('FP16', new Uint16Array([0x3c00, 0xc000]))).toEqual([1, -2]);
    expect(encodeJsonData('INT64', new BigInt64Array([-3n]))).toEqual([-3]);
  });
});
