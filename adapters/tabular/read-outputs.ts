import { linearContributions, topContributions, type Contribution } from './explain.js';
import { translate, type Language } from './language.js';
import { readRow, type TabularPostprocessing } from './postprocessing.js';
import type { RecordRow } from './records.js';
import type { TabularSpec } from './tabular-spec.js';
import type { LabelDeclaration } from '../prediction/classify.js';

export interface TabularPrediction {
  /** P(positive class) for a binary classifier; the model's value for a regression. */
  readonly value: number;
  readonly scores: number[] | undefined;
  readonly label: { id: string; text: string } | undefined;
  readonly contributions: Contribution[] | undefined;
}

/**
 * Reads a tabular model's output rows as the bundle's (load-checked) postprocessing says: the positive
 * class's probability or the value per row, class scores, the label in the caller's language, and the
 * linear model's contributions. The server (runtime/predict/tabular-predictor.ts) and the browser app
 * both call it.
 */
export function readTabularOutputs(
  spec: TabularSpec,
  post: TabularPostprocessing,
  labels: readonly LabelDeclaration[],
  rows: readonly RecordRow[],
  outputs: Float32Array | Float64Array,
  language: Language,
): TabularPrediction[] {
  const perRow = outputs.length / rows.length;
  if (perRow !== post.width) throw new Error(`output '${post.output}' gave ${perRow} values per row, the bundle was checked for ${post.width}`);
  const linear = post.linearModel;
  return rows.map((row, i) => {
    const read = readRow(post, Array.from(outputs.subarray(i * perRow, (i + 1) * perRow)));
    const l = read.label === undefined ? undefined : labels[read.label];
    return {
      value: read.value,
      scores: read.scores,
      label: l ? { id: l.id, text: translate(l.text, language, l.id) } : undefined,
      contributions: linear ? topContributions(linearContributions(spec, linear, row.values, row.imputed)) : undefined,
    };
  });
}
