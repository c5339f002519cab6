import type { Tensor } from '../tensor/tensor.js';
import type { RequestedOutput } from '../tensor/tensor.js';

/**
 * Triton's classification extension: an output asked for with `classification: K` is answered as a
 * BYTES tensor of the K highest scores, each "score:index" or "score:index:label" (the label when the
 * model names its classes), highest first, per batch row when the model batches ([rows, K], else [K]).
 * The score is printed as C's "%f" (six decimals), as Triton prints it.
 */
export function applyClassification(outputs: readonly Tensor[], requested: readonly RequestedOutput[], labels: readonly string[], batching: boolean): Tensor[] {
  return outputs.map((t) => {
    const k = requested.find((r) => r.name === t.name)?.classification;
    if (!k) return t;
    const values = t.data as ArrayLike<number | bigint | boolean>;
    const rows = batching && t.shape.length > 0 ? t.shape[0]! : 1;
    const perRow = rows === 0 ? 0 : values.length / rows;
    const top = Math.min(k, perRow);
    const strings: Buffer[] = [];
    for (let r = 0; r < rows; r++) {
      const scores = Array.from({ length: perRow }, (_, i) => ({ index: i, score: Number(values[r * perRow + i]) }));
      // Highest first; equal scores by index, so the answer does not depend on the sort's stability.
      scores.sort((a, b) => b.score - a.score || a.index - b.index);
      for (const { index, score } of scores.slice(0, top)) {
        const label = labels.length === perRow ? labels[index] : undefined;
        strings.push(Buffer.from(`${score.toFixed(6)}:${index}${label !== undefined ? `:${label}` : ''}`));
      }
    }
    return { name: t.name, datatype: 'BYTES', shape: batching && t.shape.length > 0 ? [rows, top] : [top], data: strings };
  });
}
