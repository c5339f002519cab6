import { Z95 } from './delong.js';

/** One study's estimate on the pooled scale (logit AUC) and its variance. */
export interface StudyEstimate {
  readonly estimate: number;
  readonly variance: number;
}

export interface RandomEffects {
  readonly pooled: number;
  readonly se: number;
  readonly ci: readonly [number, number];
  /** Between-study variance (DerSimonian-Laird). */
  readonly tau2: number;
  /** Cochran's Q, its degrees of freedom, and I² = max(0, (Q - df) / Q). */
  readonly q: number;
  readonly df: number;
  readonly i2: number;
}

/** DerSimonian & Laird (1986) random-effects pooling with inverse-variance weights 1 / (v_i + tau²). */
export function derSimonianLaird(studies: readonly StudyEstimate[]): RandomEffects {
  const k = studies.length;
  if (k === 0) throw new Error('no study to pool');
  const w = studies.map((s) => 1 / s.variance);
  const sumW = w.reduce((a, b) => a + b, 0);
  const fixed = studies.reduce((a, s, i) => a + w[i]! * s.estimate, 0) / sumW;
  const q = studies.reduce((a, s, i) => a + w[i]! * (s.estimate - fixed) ** 2, 0);
  const df = k - 1;
  const c = sumW - w.reduce((a, b) => a + b * b, 0) / sumW;
  const tau2 = df > 0 && c > 0 ? Math.max(0, (q - df) / c) : 0;
  const wr = studies.map((s) => 1 / (s.variance + tau2));
  const sumWr = wr.reduce((a, b) => a + b, 0);
  const pooled = studies.reduce((a, s, i) => a + wr[i]! * s.estimate, 0) / sumWr;
  const se = Math.sqrt(1 / sumWr);
  return { pooled, se, ci: [pooled - Z95 * se, pooled + Z95 * se], tau2, q, df, i2: q > 0 && df > 0 ? Math.max(0, (q - df) / q) : 0 };
}

export const expit = (v: number) => 1 / (1 + Math.exp(-v));
