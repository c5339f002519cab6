import { linearContributions, readLinearModel, topContributions, type Contribution } from './explain.js';
import { translate, type Language } from './language.js';
import type { RecordRow } from './records.js';
import type { TabularSpec } from './tabular-spec.js';
import { softmax, type LabelDeclaration } from '../prediction/classify.js';

export interface TabularPrediction {
  /** P(positive class) for a binary classifier; the model's value for a regression. */
  readonly value: number;
  readonly scores: number[] | undefined;
  readonly label: { id: string; text: string } | undefined;
  readonly contributions: Contribution[] | undefined;
}

/**
 * Reads a tabular model's output rows as the bundle's postprocessing says: a probability or value per
 * row, class scores, the label in the caller's language, and the linear model's contributions. The
 * server (runtime/predict/tabular-predictor.ts) and the browser app both call it.
 */
export function readTabularOutputs(
  spec: TabularSpec,
  postprocessing: Record<string, unknown> & { kind: string },
  labels: readonly LabelDeclaration[],
  rows: readonly RecordRow[],
  outputs: Float32Array | Float64Array,
  language: Language,
): TabularPrediction[] {
  const post = postprocessing;
  const perRow = outputs.length / rows.length;
  const linear = readLinearModel(post);
  const threshold = typeof post.threshold === 'number' ? post.threshold : 0.5;
  return rows.map((row, i) => {
    const raw = Array.from(outputs.subarray(i * perRow, (i + 1) * perRow));
    let value: number;
    let scores: number[] | undefined;
    let classIndex: number | undefined;
    if (post.kind === 'softmax') {
      scores = softmax(raw);
      classIndex = scores.indexOf(Math.max(...scores));
      value = scores[scores.length - 1]!;
    } else if (post.kind === 'sigmoid_probability' || post.kind === 'probability') {
      value = raw[0]!;
      classIndex = value >= threshold ? 1 : 0;
    } else {
      value = raw[0]!;
    }
    const l = classIndex === undefined ? undefined : labels[classIndex];
    return {
      value,
      scores,
      label: l ? { id: l.id, text: translate(l.text, language, l.id) } : undefined,
      contributions: linear ? topContributions(linearContributions(spec, linear, row.values, row.imputed)) : undefined,
    };
  });
}
