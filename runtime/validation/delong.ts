import { rocAuc } from './metrics.js';
import { midRanks } from './ranks.js';

/**
 * DeLong, DeLong & Clarke-Pearson (1988): the variance of the empirical AUC from its structural
 * components V10 (per positive) and V01 (per negative), var = S10/m + S01/n with sample variances.
 * The components come from mid-ranks (Sun & Xu 2014), O(N log N): a positive's V10 is the share of
 * negatives below it (ties half), its rank among all minus its rank among the positives, over n.
 */
export function delongVariance(scores: readonly number[], labels: readonly number[]): number {
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] !== 1);
  const m = pos.length;
  const n = neg.length;
  if (m < 2 || n < 2) return Number.NaN;
  const all = midRanks([...pos, ...neg]);
  const withinPos = midRanks(pos);
  const withinNeg = midRanks(neg);
  const v10 = pos.map((_, i) => (all[i]! - withinPos[i]!) / n);
  const v01 = neg.map((_, j) => 1 - (all[m + j]! - withinNeg[j]!) / m);
  return sampleVariance(v10) / m + sampleVariance(v01) / n;
}

function sampleVariance(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
}

export interface AucEstimate {
  readonly auc: number;
  readonly se: number;
  /** 95 % interval, AUC +- 1.96 SE clipped to [0, 1] (as pROC's DeLong interval). */
  readonly ci: readonly [number, number];
  /** logit(AUC) and its delta-method variance: what the network's meta-analysis pools. */
  readonly logit: number;
  readonly logitVariance: number;
}

export const Z95 = 1.959963984540054;

export function aucWithDelong(scores: readonly number[], labels: readonly number[]): AucEstimate {
  const auc = rocAuc(scores, labels);
  const variance = delongVariance(scores, labels);
  const se = Math.sqrt(variance);
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  return {
    auc,
    se,
    ci: [clip(auc - Z95 * se), clip(auc + Z95 * se)],
    logit: Math.log(auc / (1 - auc)),
    logitVariance: variance / (auc * (1 - auc)) ** 2,
  };
}
