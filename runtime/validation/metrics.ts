import { midRanks } from './ranks.js';

/**
 * Discrimination and accuracy figures of a binary classifier's probabilities against observed 0/1 labels.
 * Pure functions; `scores[i]` and `labels[i]` belong to the same patient.
 */

/** ROC AUC by the Mann-Whitney statistic: P(score of a positive > score of a negative), ties counting 1/2. */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  const ranks = midRanks(scores);
  let positives = 0;
  let rankSum = 0;
  labels.forEach((y, i) => {
    if (y === 1) {
      positives++;
      rankSum += ranks[i]!;
    }
  });
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision (the step-wise area under the precision-recall curve, as scikit-learn's). */
export function averagePrecision(scores: readonly number[], labels: readonly number[]): number {
  const positives = labels.filter((y) => y === 1).length;
  if (positives === 0) return Number.NaN;
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let lastRecall = 0;
  for (let i = 0; i < order.length; ) {
    // All patients with the same score cross the threshold together.
    let j = i;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (labels[order[j]!] === 1) tp++;
      else fp++;
      j++;
    }
    const recall = tp / positives;
    ap += (recall - lastRecall) * (tp / (tp + fp));
    lastRecall = recall;
    i = j;
  }
  return ap;
}

/** Mean squared difference between probability and outcome. */
export function brierScore(scores: readonly number[], labels: readonly number[]): { value: number; se: number } {
  const sq = scores.map((p, i) => (p - labels[i]!) ** 2);
  const n = sq.length;
  const mean = sq.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? sq.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { value: mean, se: Math.sqrt(variance / n) };
}

/** Counts of a 2x2 table at `threshold` (predicted positive when score >= threshold, as the bundle's). */
export interface ConfusionCounts {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export function confusion(scores: readonly number[], labels: readonly number[], threshold: number): ConfusionCounts {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  scores.forEach((p, i) => {
    const predicted = p >= threshold;
    if (labels[i] === 1) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  });
  return { tp, fp, tn, fn };
}
