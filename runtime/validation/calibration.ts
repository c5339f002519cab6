import { Z95 } from './delong.js';
import { mulberry32 } from '../util/seeded-random.js';

/**
 * Calibration by logistic recalibration (Cox 1958; Van Calster et al. 2016): regress the outcome on
 * the model's log-odds L. Slope: b in logit P(y) = a + b L (1 is ideal; < 1 means predictions too
 * extreme). Intercept (calibration-in-the-large): a in logit P(y) = a + L, slope fixed at 1 (0 is ideal;
 * > 0 means the model under-predicts). Fitted by Newton-Raphson; Wald 95 % intervals.
 */
export interface Estimate {
  readonly value: number;
  readonly se: number;
  readonly ci: readonly [number, number];
}

const EPS = 1e-7;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};
const expit = (v: number) => 1 / (1 + Math.exp(-v));
const wald = (value: number, se: number): Estimate => ({ value, se, ci: [value - Z95 * se, value + Z95 * se] });

export function calibrationIntercept(scores: readonly number[], labels: readonly number[]): Estimate {
  const offsets = scores.map(logit);
  let a = 0;
  let information = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    let gradient = 0;
    information = 0;
    offsets.forEach((l, i) => {
      const p = expit(a + l);
      gradient += labels[i]! - p;
      information += p * (1 - p);
    });
    const step = gradient / information;
    a += step;
    if (Math.abs(step) < 1e-10) break;
  }
  return wald(a, 1 / Math.sqrt(information));
}

export function calibrationSlope(scores: readonly number[], labels: readonly number[]): { intercept: number; slope: Estimate } {
  const x = scores.map(logit);
  let a = 0;
  let b = 1;
  let h = [0, 0, 0]; // information matrix [aa, ab, bb]
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0, gb = 0;
    h = [0, 0, 0];
    x.forEach((l, i) => {
      const p = expit(a + b * l);
      const w = p * (1 - p);
      const r = labels[i]! - p;
      ga += r;
      gb += r * l;
      h[0]! += w;
      h[1]! += w * l;
      h[2]! += w * l * l;
    });
    const det = h[0]! * h[2]! - h[1]! * h[1]!;
    if (!(det > 0)) return { intercept: Number.NaN, slope: wald(Number.NaN, Number.NaN) };
    const da = (h[2]! * ga - h[1]! * gb) / det;
    const db = (h[0]! * gb - h[1]! * ga) / det;
    a += da;
    b += db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  const det = h[0]! * h[2]! - h[1]! * h[1]!;
  return { intercept: a, slope: wald(b, Math.sqrt(h[0]! / det)) };
}

/** One bin of a reliability diagram: patients whose probability falls in [lower, upper). */
export interface ReliabilityBin {
  readonly lower: number;
  readonly upper: number;
  readonly n: number;
  readonly meanPredicted: number;
  readonly observed: number;
}

/**
 * Equal-width bins of the predicted probability (`bins` of them), each bin merged into the next (the last
 * into the previous) until it holds at least `minCount` patients: a bin is a cell of the report.
 */
export function reliabilityBins(scores: readonly number[], labels: readonly number[], bins = 10, minCount = 1): ReliabilityBin[] {
  const raw = Array.from({ length: bins }, (_, b) => ({ lower: b / bins, upper: (b + 1) / bins, n: 0, sumP: 0, sumY: 0 }));
  scores.forEach((p, i) => {
    const b = raw[Math.min(bins - 1, Math.floor(p * bins))]!;
    b.n++;
    b.sumP += p;
    b.sumY += labels[i]!;
  });
  const merged: typeof raw = [];
  let open: (typeof raw)[number] | undefined;
  for (const b of raw) {
    open = open ? { lower: open.lower, upper: b.upper, n: open.n + b.n, sumP: open.sumP + b.sumP, sumY: open.sumY + b.sumY } : { ...b };
    if (open.n >= minCount) {
      merged.push(open);
      open = undefined;
    }
  }
  if (open && open.n > 0) {
    const last = merged.pop();
    merged.push(last ? { lower: last.lower, upper: open.upper, n: last.n + open.n, sumP: last.sumP + open.sumP, sumY: last.sumY + open.sumY } : open);
  }
  return merged.filter((b) => b.n > 0).map((b) => ({ lower: b.lower, upper: b.upper, n: b.n, meanPredicted: b.sumP / b.n, observed: b.sumY / b.n }));
}

/** Expected calibration error over 10 equal-width bins: sum of n_b / n * |mean predicted - observed|. */
export function expectedCalibrationError(scores: readonly number[], labels: readonly number[]): number {
  const n = scores.length;
  return reliabilityBins(scores, labels, 10, 1).reduce((s, b) => s + (b.n / n) * Math.abs(b.meanPredicted - b.observed), 0);
}

/** Percentile bootstrap 95 % interval of the ECE, with a fixed seed so that a report is reproducible. */
export function eceInterval(scores: readonly number[], labels: readonly number[], replicates = 500, seed = 20261204): readonly [number, number] {
  const random = mulberry32(seed);
  const n = scores.length;
  const values: number[] = [];
  const s = new Array<number>(n);
  const y = new Array<number>(n);
  for (let r = 0; r < replicates; r++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      s[i] = scores[j]!;
      y[i] = labels[j]!;
    }
    values.push(expectedCalibrationError(s, y));
  }
  values.sort((a, b) => a - b);
  return [values[Math.floor(0.025 * (replicates - 1))]!, values[Math.ceil(0.975 * (replicates - 1))]!];
}
