import type { Datatype } from '../tensor/datatypes.js';

/** A model input or output as the protocol describes it. -1 marks a dynamic dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/** A graph output that is not a tensor (e.g. scikit-learn's ZipMap): listed, never returned. */
export interface UnsupportedValueSpec {
  readonly name: string;
  readonly reason: string;
}
