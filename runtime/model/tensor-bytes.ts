import { DATATYPES } from '../tensor/datatypes.js';
import type { TensorSpec } from './tensor-spec.js';

/** Room for the JSON header of a binary request (names, shapes, parameters) and gRPC framing. */
export const PROTOCOL_OVERHEAD_BYTES = 1024 * 1024;

/**
 * Bytes one item of these tensors takes in the binary encoding: the whole tensor, or one row of the
 * batch when `batched` (the first dimension is then the batch and is left out). Undefined when a
 * dimension other than the batch is dynamic, or a tensor is BYTES: the size is then unknown.
 */
export function bytesPerItem(tensors: readonly TensorSpec[], batched: boolean): number | undefined {
  let total = 0;
  for (const t of tensors) {
    const dims = batched ? t.shape.slice(1) : t.shape;
    const size = DATATYPES[t.datatype].size;
    if (size === 0 || dims.some((d) => d < 0)) return undefined;
    total += size * dims.reduce((a, b) => a * b, 1);
  }
  return total;
}

/**
 * The largest request body a model can need: a full batch (or one item) of its inputs in the binary
 * tensor extension, plus protocol overhead. Undefined when its input shapes are not static.
 */
export function requestBytesNeeded(inputs: readonly TensorSpec[], maxBatchSize: number): number | undefined {
  const item = bytesPerItem(inputs, maxBatchSize > 1);
  return item === undefined ? undefined : item * Math.max(1, maxBatchSize) + PROTOCOL_OVERHEAD_BYTES;
}

/**
 * The request size limit of a model: what it needs, never below the server's `floor` (for models whose
 * size is unknown, and for JSON bodies of small models) nor above the `ceiling`.
 */
export function requestLimit(needed: number | undefined, floor: number, ceiling: number): number {
  return Math.min(ceiling, Math.max(floor, needed ?? 0));
}

/**
 * Autofilled max_batch_size: the server's default, lowered so that one full batch of inputs and
 * outputs fits the per-batch budget (at least 1). Unknown item sizes keep the default.
 */
export function budgetedBatchSize(itemBytes: number | undefined, budgetBytes: number, defaultMax: number): number {
  if (itemBytes === undefined || itemBytes === 0) return defaultMax;
  return Math.max(1, Math.min(defaultMax, Math.floor(budgetBytes / itemBytes)));
}
