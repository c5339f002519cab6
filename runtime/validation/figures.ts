import { calibrationIntercept, calibrationSlope, eceInterval, expectedCalibrationError } from './calibration.js';
import { aucWithDelong, Z95 } from './delong.js';
import { averagePrecision, brierScore, confusion } from './metrics.js';
import { cell, countBins, rocPoints } from './suppression.js';
import { averagePrecisionInterval, wilsonInterval } from './wilson.js';

/** A figure with its 95 % interval; null value when suppressed or not computable (reason given). */
export interface Figure {
  readonly value: number | null;
  readonly ci?: readonly [number, number] | undefined;
  readonly suppressed?: string;
}

export interface GroupFigures {
  /** Patients in the group; null when fewer than k. */
  readonly n: number | null;
  readonly positives: number | null;
  readonly negatives: number | null;
  readonly prevalence: Figure;
  readonly roc_auc: Figure & { se?: number; logit?: number; logit_variance?: number };
  readonly pr_auc: Figure;
  readonly brier: Figure;
  readonly calibration_intercept: Figure;
  readonly calibration_slope: Figure;
  readonly ece: Figure;
  readonly at_threshold: { readonly threshold: number; sensitivity: Figure; specificity: Figure; ppv: Figure; npv: Figure; accuracy: Figure };
  /** ROC curve at bin edges (each step holds >= k patients of each class). */
  readonly roc_curve: Array<readonly [number, number]>;
  /** Reliability diagram bins (each holds >= k patients of each class). */
  readonly reliability: Array<{ lower: number; upper: number; n: number; mean_predicted: number; observed: number }>;
}

const suppressed = (reason: string): Figure => ({ value: null, suppressed: reason });
const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v);
const ci = (pair: readonly [number, number]) => [round(pair[0]), round(pair[1])] as const;

/** Every figure of one group of patients, under the small-cell rule with threshold k. */
export function groupFigures(scores: readonly number[], labels: readonly number[], threshold: number, k: number): GroupFigures {
  const n = scores.length;
  const positives = labels.filter((y) => y === 1).length;
  const negatives = n - positives;
  const small = `fewer than ${k} patients`;
  const classes = positives >= k && negatives >= k;
  const reason = n < k ? small : `fewer than ${k} patients with or without the outcome`;
  const proportion = (x: number, d: number): Figure => {
    if (x < k || d - x < k) return suppressed(`a cell of fewer than ${k} patients`);
    return { value: round(x / d), ci: ci(wilsonInterval(x, d)) };
  };
  const none = suppressed(reason);
  if (!classes) {
    return {
      n: cell(n, k), positives: null, negatives: null, prevalence: none, roc_auc: none, pr_auc: none, brier: none,
      calibration_intercept: none, calibration_slope: none, ece: none,
      at_threshold: { threshold, sensitivity: none, specificity: none, ppv: none, npv: none, accuracy: none },
      roc_curve: [], reliability: [],
    };
  }
  const auc = aucWithDelong(scores, labels);
  const ap = averagePrecision(scores, labels);
  const brier = brierScore(scores, labels);
  const intercept = calibrationIntercept(scores, labels);
  const slope = calibrationSlope(scores, labels).slope;
  const c = confusion(scores, labels, threshold);
  const bins = countBins(scores, labels, 20, k);
  const reliabilityBins = countBins(scores, labels, 10, k);
  return {
    n, positives, negatives,
    prevalence: proportion(positives, n),
    roc_auc: { value: round(auc.auc), ci: ci(auc.ci), se: round(auc.se), logit: round(auc.logit), logit_variance: round(auc.logitVariance) },
    pr_auc: { value: round(ap), ci: ci(averagePrecisionInterval(ap, positives)) },
    brier: { value: round(brier.value), ci: ci([brier.value - Z95 * brier.se, brier.value + Z95 * brier.se]) },
    calibration_intercept: { value: round(intercept.value), ci: ci(intercept.ci) },
    calibration_slope: { value: round(slope.value), ci: ci(slope.ci) },
    ece: { value: round(expectedCalibrationError(scores, labels)), ci: ci(eceInterval(scores, labels)) },
    at_threshold: {
      threshold,
      sensitivity: proportion(c.tp, c.tp + c.fn),
      specificity: proportion(c.tn, c.tn + c.fp),
      ppv: proportion(c.tp, c.tp + c.fp),
      npv: proportion(c.tn, c.tn + c.fn),
      accuracy: proportion(c.tp + c.tn, n),
    },
    roc_curve: rocPoints(bins).map(([x, y]) => [round(x), round(y)] as const),
    reliability: reliabilityBins.map((b) => {
      const count = b.positives + b.negatives;
      return { lower: round(b.lower), upper: round(b.upper), n: count, mean_predicted: round(b.sumPredicted / count), observed: round(b.positives / count) };
    }),
  };
}
