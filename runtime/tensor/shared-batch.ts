import { DATATYPES, elementCount, type Datatype, type NumericArray } from './datatypes.js';
import type { Tensor } from './tensor.js';

/**
 * A batch whose rows lie in shared memory (views into HTTP bodies, read in place), merged without a copy
 * on the main thread: the tensor keeps its parts, the worker pool sends them as they are, and the worker
 * joins them while it makes the copy ONNX Runtime needs anyway (it refuses shared memory). Anything else
 * that reads `data` gets the joined values, joined once on first read.
 */
const PARTS = Symbol('clinfer.sharedParts');

/** The parts of a batch made by joinedLater, in order; undefined for any other tensor. */
export function sharedParts(tensor: Tensor): readonly NumericArray[] | undefined {
  return (tensor as { [PARTS]?: readonly NumericArray[] })[PARTS];
}

/** True when every value array lies in shared memory (so that joinedLater may keep them). */
export function allShared(values: readonly NumericArray[]): boolean {
  return values.every((v) => v.buffer instanceof SharedArrayBuffer);
}

/** A tensor of `shape` whose values are `values` joined in order (numeric datatypes only). */
export function joinedLater(name: string, datatype: Datatype, shape: readonly number[], values: readonly NumericArray[]): Tensor {
  let data: NumericArray | undefined;
  const tensor = { name, datatype, shape } as Tensor;
  // An own enumerable getter: a spread copy ({ ...t }) reads the joined values, as it would a plain tensor's.
  Object.defineProperty(tensor, 'data', { enumerable: true, get: () => (data ??= joinValues(values, datatype, elementCount(shape))) });
  Object.defineProperty(tensor, PARTS, { value: values });
  return tensor;
}

/** Copies `values` end to end into one new array of `datatype`. */
export function joinValues(values: readonly NumericArray[], datatype: Datatype, length: number): NumericArray {
  const out = DATATYPES[datatype].make(length) as NumericArray;
  let offset = 0;
  for (const v of values) {
    (out as Float32Array).set(v as Float32Array, offset);
    offset += v.length;
  }
  return out;
}
