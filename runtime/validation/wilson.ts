import { Z95 } from './delong.js';

/** Wilson score interval (95 %) of a proportion successes/trials; [NaN, NaN] with no trials. */
export function wilsonInterval(successes: number, trials: number, z = Z95): readonly [number, number] {
  if (trials === 0) return [Number.NaN, Number.NaN];
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * The logit interval of average precision (Boyd, Eng & Page 2013): on the logit scale with variance
 * 1 / (positives * AP * (1 - AP)).
 */
export function averagePrecisionInterval(ap: number, positives: number): readonly [number, number] {
  if (!(ap > 0 && ap < 1) || positives === 0) return [Number.NaN, Number.NaN];
  const logit = Math.log(ap / (1 - ap));
  const half = Z95 / Math.sqrt(positives * ap * (1 - ap));
  const expit = (v: number) => 1 / (1 + Math.exp(-v));
  return [expit(logit - half), expit(logit + half)];
}
