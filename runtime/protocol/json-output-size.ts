import { ClinferError } from '../errors/index.js';
import type { ModelConfig } from '../model/model-config.js';
import type { Datatype, TensorValues } from '../tensor/datatypes.js';
import type { RequestedOutput } from '../tensor/tensor.js';

/**
 * Longest JSON text of one element, with its comma: a float widened to a double prints up to
 * 23 characters (-1.1754943508222875e-38), an INT64 20 plus quotes, a boolean 5.
 */
const WORST_CHARS: Record<Exclude<Datatype, 'BYTES'>, number> = {
  BOOL: 6, UINT8: 4, UINT16: 6, UINT32: 11, UINT64: 23, INT8: 5, INT16: 7, INT32: 12, INT64: 23,
  FP16: 25, FP32: 25, FP64: 25,
};

/** Worst-case size of a JSON `data` array, from the element count (BYTES: from the strings, escaped). */
export function worstJsonBytes(datatype: Datatype, elements: number, data?: TensorValues): number {
  if (datatype !== 'BYTES') return elements * WORST_CHARS[datatype] + 2;
  if (!data || !Array.isArray(data)) return Number.POSITIVE_INFINITY;
  return (data as Uint8Array[]).reduce((n, b) => n + b.byteLength * 6 + 3, 2);
}

const tooLarge = (name: string, bytes: number, limit: number) => new ClinferError(
  'OUTPUT_TOO_LARGE_FOR_JSON',
  `output '${name}' would take up to ${bytes} bytes as JSON, over the server's maxJsonResponseBytes (${limit}): ` +
  `request it with parameters.binary_data_output: true (or outputs[].parameters.binary_data: true), the binary tensor data extension, or use gRPC`,
);

/**
 * Refuses, before the model runs, JSON outputs whose static shape (the batch taken from the request)
 * already passes the limit; outputs with other dynamic dimensions are checked after the run.
 */
export function refuseOversizedJsonOutputs(model: ModelConfig, requested: readonly RequestedOutput[], batchRows: number, limit: number): void {
  for (const r of requested) {
    if (r.binary) continue;
    const spec = model.outputs.find((o) => o.name === r.name);
    if (!spec || spec.datatype === 'BYTES') continue;
    const dims = spec.shape.map((d, i) => (i === 0 && model.maxBatchSize > 1 && d === -1 ? batchRows : d));
    if (dims.some((d) => d < 0)) continue;
    const bytes = worstJsonBytes(spec.datatype, dims.reduce((a, b) => a * b, 1));
    if (bytes > limit) throw tooLarge(r.name, bytes, limit);
  }
}

/** The same check on an actual output, before it is stringified. */
export function refuseOversizedJsonOutput(name: string, datatype: Datatype, shape: readonly number[], data: TensorValues, limit: number): void {
  const bytes = worstJsonBytes(datatype, shape.reduce((a, b) => a * b, 1), data);
  if (bytes > limit) throw tooLarge(name, bytes, limit);
}
