import { rocAuc } from '../validation/metrics.js';

/** Live performance of one model version over its labelled predictions (scores in [0, 1], labels 0/1). */
export interface LiveFigures {
  /** Labelled predictions the figures rest on. */
  readonly n: number;
  /** ROC AUC (Mann-Whitney, ties counted half); null until both outcomes have been seen. */
  readonly rocAuc: number | null;
  /** Calibration in the large: observed positives / expected (the sum of the predicted probabilities). */
  readonly observedOverExpected: number | null;
  /** The share of labelled predictions whose outcome was positive. */
  readonly positiveRate: number | null;
}

export function liveFigures(scores: readonly number[], labels: readonly number[]): LiveFigures {
  const n = scores.length;
  if (n === 0) return { n, rocAuc: null, observedOverExpected: null, positiveRate: null };
  const positives = labels.reduce((s, l) => s + l, 0);
  const expected = scores.reduce((s, p) => s + p, 0);
  return {
    n,
    rocAuc: positives > 0 && positives < n ? rocAuc(scores, labels) : null,
    observedOverExpected: expected > 0 ? positives / expected : null,
    positiveRate: positives / n,
  };
}
