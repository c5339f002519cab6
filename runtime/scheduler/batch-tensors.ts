import { elementCount, type NumericArray, type TensorValues } from '../tensor/datatypes.js';
import { allShared, joinedLater, joinValues } from '../tensor/shared-batch.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Concatenates same-named tensors along dimension 0 (their other dimensions are equal). When every part
 * lies in shared memory nothing is copied here: the worker joins them (tensor/shared-batch.ts).
 */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const rows = parts.reduce((n, t) => n + t.shape[0]!, 0);
  const shape = [rows, ...first.shape.slice(1)];
  if (first.datatype === 'BYTES') {
    return { ...first, shape, data: parts.flatMap((t) => t.data as Uint8Array[]) };
  }
  const values = parts.map((t) => t.data as NumericArray);
  if (allShared(values)) return joinedLater(first.name, first.datatype, shape, values);
  return { ...first, shape, data: joinValues(values, first.datatype, elementCount(shape)) };
}

/** Splits a batched tensor into consecutive row ranges, one per request, copying each slice. */
export function splitBatch(tensor: Tensor, rowsPerPart: readonly number[]): Tensor[] {
  const total = tensor.shape[0] ?? 0;
  const perRow = total === 0 ? 0 : tensor.data.length / total;
  const parts: Tensor[] = [];
  let row = 0;
  for (const rows of rowsPerPart) {
    const data: TensorValues = Array.isArray(tensor.data)
      ? tensor.data.slice(row * perRow, (row + rows) * perRow)
      : (tensor.data as Float32Array).slice(row * perRow, (row + rows) * perRow);
    parts.push({ ...tensor, shape: [rows, ...tensor.shape.slice(1)], data });
    row += rows;
  }
  return parts;
}

/** Requests can share a batch when every input has the same non-batch dimensions and the same outputs are asked. */
export function batchKey(inputs: readonly Tensor[], fetches: readonly string[]): string {
  const dims = inputs.map((t) => `${t.name}:${t.shape.slice(1).join('x')}`).join('|');
  return `${dims}#${fetches.join(',')}`;
}
