import type { Datatype, TensorValues } from './datatypes.js';

/**
 * A tensor as clinfer moves it between layers: the protocol's name, datatype and shape, and the
 * values in row-major order. `data.length` always equals the product of `shape`.
 */
export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorValues;
}

/** Which outputs a caller wants, and how (binary extension or JSON). */
export interface RequestedOutput {
  readonly name: string;
  readonly binary: boolean;
  /** Triton's classification extension: answer the top K classes as "score:index[:label]" strings instead of the tensor. */
  readonly classification?: number;
}
