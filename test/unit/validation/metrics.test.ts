import { describe, expect, it } from 'vitest';
import { calibrationIntercept, calibrationSlope, expectedCalibrationError } from '../../../runtime/validation/calibration.js';
import { aucWithDelong, delongVariance } from '../../../runtime/validation/delong.js';
import { derSimonianLaird } from '../../../runtime/validation/meta-analysis.js';
import { averagePrecision, brierScore, confusion, rocAuc } from '../../../runtime/validation/metrics.js';
import { wilsonInterval } from '../../../runtime/validation/wilson.js';

/** Each figure against a case small enough to work out by hand (the working is in the comments). */
describe('discrimination', () => {
  // Positives score 0.35 and 0.8, negatives 0.1 and 0.4: of the 4 pairs, 3 are ordered right.
  const scores = [0.1, 0.4, 0.35, 0.8];
  const labels = [0, 0, 1, 1];

  it('ROC AUC is the Mann-Whitney share of correctly ordered pairs, ties counting half', () => {
    expect(rocAuc(scores, labels)).toBe(0.75);
    expect(rocAuc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBe((1 + 0.5 + 1 + 1) / 4);
    expect(rocAuc([0.2, 0.3], [1, 1])).toBeNaN();
  });

  it('DeLong variance from the structural components', () => {
    // V10 (per positive): 0.35 beats {0.1} of {0.1, 0.4} -> 0.5; 0.8 beats both -> 1. Sample variance 0.125.
    // V01 (per negative): 0.1 is beaten by both -> 1; 0.4 by 0.8 only -> 0.5. Sample variance 0.125.
    // var = 0.125 / 2 + 0.125 / 2 = 0.125.
    expect(delongVariance(scores, labels)).toBeCloseTo(0.125, 12);
    const e = aucWithDelong(scores, labels);
    expect(e.se).toBeCloseTo(Math.sqrt(0.125), 12);
    expect(e.ci[0]).toBeCloseTo(0.75 - 1.959964 * Math.sqrt(0.125), 5);
    expect(e.ci[1]).toBe(1); // clipped
    expect(e.logit).toBeCloseTo(Math.log(3), 12);
    expect(e.logitVariance).toBeCloseTo(0.125 / (0.75 * 0.25) ** 2, 12);
  });

  it('the mid-rank DeLong components equal the pairwise definition, ties included', () => {
    const s = Array.from({ length: 60 }, (_, i) => Math.round(((i * 37) % 60) / 6) / 10); // many ties
    const y = s.map((_, i) => ((i * 13) % 7 < 3 ? 1 : 0));
    const pos = s.filter((_, i) => y[i] === 1);
    const neg = s.filter((_, i) => y[i] === 0);
    const psi = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0);
    const v10 = pos.map((a) => neg.reduce((t, b) => t + psi(a, b), 0) / neg.length);
    const v01 = neg.map((b) => pos.reduce((t, a) => t + psi(a, b), 0) / pos.length);
    const variance = (v: number[]) => v.reduce((t, x) => t + (x - v.reduce((p, q) => p + q, 0) / v.length) ** 2, 0) / (v.length - 1);
    expect(delongVariance(s, y)).toBeCloseTo(variance(v10) / pos.length + variance(v01) / neg.length, 12);
    expect(rocAuc(s, y)).toBeCloseTo(v10.reduce((t, x) => t + x, 0) / v10.length, 12);
  });

  it('average precision steps through the ranked list', () => {
    // Ranked: 0.8 (+) P=1 R=0.5; 0.4 (-); 0.35 (+) P=2/3 R=1 -> 0.5*1 + 0.5*2/3.
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('Brier score and the 2x2 table at a threshold (>= is positive, as the bundle reads it)', () => {
    expect(brierScore(scores, labels).value).toBeCloseTo((0.01 + 0.16 + 0.4225 + 0.04) / 4, 12);
    expect(confusion(scores, labels, 0.4)).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
  });
});

describe('Wilson interval', () => {
  it('8 of 10 and 0 of 10', () => {
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.49016, 4);
    expect(hi).toBeCloseTo(0.94332, 4);
    expect(wilsonInterval(0, 10)[0]).toBe(0);
    expect(wilsonInterval(0, 10)[1]).toBeCloseTo(0.27753, 4);
  });
});

describe('calibration by logistic recalibration', () => {
  // 100 patients at each of p = 0.1 ... 0.9 with exactly 100 p of them positive: perfectly calibrated,
  // so the score equations hold at intercept 0, slope 1.
  const p: number[] = [];
  const y: number[] = [];
  for (let j = 1; j <= 9; j++) for (let i = 0; i < 100; i++) {
    p.push(j / 10);
    y.push(i < j * 10 ? 1 : 0);
  }
  it('a calibrated model has intercept 0, slope 1 and ECE 0', () => {
    expect(calibrationIntercept(p, y).value).toBeCloseTo(0, 8);
    expect(calibrationSlope(p, y).slope.value).toBeCloseTo(1, 8);
    expect(expectedCalibrationError(p, y)).toBeCloseTo(0, 12);
  });
  it('predictions twice as extreme on the logit scale have slope 1/2', () => {
    const extreme = p.map((q) => 1 / (1 + Math.exp(-2 * Math.log(q / (1 - q)))));
    expect(calibrationSlope(extreme, y).slope.value).toBeCloseTo(0.5, 8);
  });
  it('predictions shifted down by 1 on the logit scale have intercept +1', () => {
    const low = p.map((q) => 1 / (1 + Math.exp(-(Math.log(q / (1 - q)) - 1))));
    expect(calibrationIntercept(low, y).value).toBeCloseTo(1, 8);
  });
});

describe('DerSimonian-Laird', () => {
  it('two studies, estimates 0 and 1, variances 0.1', () => {
    // w = 10 each; fixed 0.5; Q = 10 (0.25 + 0.25) = 5 on 1 df; C = 20 - 200/20 = 10; tau² = (5 - 1) / 10 = 0.4;
    // I² = (5 - 1) / 5 = 0.8; random weights 1 / 0.5 = 2 each: pooled 0.5, SE sqrt(1/4) = 0.5.
    const r = derSimonianLaird([{ estimate: 0, variance: 0.1 }, { estimate: 1, variance: 0.1 }]);
    expect(r.q).toBeCloseTo(5, 12);
    expect(r.tau2).toBeCloseTo(0.4, 12);
    expect(r.i2).toBeCloseTo(0.8, 12);
    expect(r.pooled).toBeCloseTo(0.5, 12);
    expect(r.se).toBeCloseTo(0.5, 12);
  });
  it('homogeneous studies: tau² 0 and I² 0', () => {
    const r = derSimonianLaird([{ estimate: 1, variance: 0.2 }, { estimate: 1, variance: 0.1 }]);
    expect(r.tau2).toBe(0);
    expect(r.i2).toBe(0);
    expect(r.pooled).toBeCloseTo(1, 12);
  });
});
