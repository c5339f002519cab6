/**
 * The small-cell rule: a report carries only aggregates, and any count of fewer than `k` patients (a
 * "cell") is suppressed, together with every figure from which it could be worked out. A group's
 * outcome-dependent figures need at least k patients with and k without the outcome; a proportion x / d
 * at the operating point needs x >= k and d - x >= k; each bin of a curve holds k of each class.
 */
export const DEFAULT_MIN_CELL = 10;

/** A count as published: itself when at least k (or 0 where `zeroOk`), else null. */
export function cell(count: number, k: number, zeroOk = false): number | null {
  return count >= k || (zeroOk && count === 0) ? count : null;
}

/** A bin of patients between two probability thresholds, by outcome. */
export interface CountBin {
  lower: number;
  upper: number;
  positives: number;
  negatives: number;
  sumPredicted: number;
}

/**
 * Bins of width 1 / `bins` over [0, 1], each merged with the next (the remainder with the last kept one)
 * until it holds at least k positives and k negatives. Returns [] when the whole set has fewer.
 */
export function countBins(scores: readonly number[], labels: readonly number[], bins: number, k: number): CountBin[] {
  const raw: CountBin[] = Array.from({ length: bins }, (_, b) => ({ lower: b / bins, upper: (b + 1) / bins, positives: 0, negatives: 0, sumPredicted: 0 }));
  scores.forEach((p, i) => {
    const b = raw[Math.min(bins - 1, Math.max(0, Math.floor(p * bins)))]!;
    if (labels[i] === 1) b.positives++;
    else b.negatives++;
    b.sumPredicted += p;
  });
  const merged: CountBin[] = [];
  let open: CountBin | undefined;
  const join = (a: CountBin, b: CountBin): CountBin => ({ lower: a.lower, upper: b.upper, positives: a.positives + b.positives, negatives: a.negatives + b.negatives, sumPredicted: a.sumPredicted + b.sumPredicted });
  for (const b of raw) {
    open = open ? join(open, b) : { ...b };
    if (open.positives >= k && open.negatives >= k) {
      merged.push(open);
      open = undefined;
    }
  }
  if (open && open.positives + open.negatives > 0) {
    const last = merged.pop();
    if (last) merged.push(join(last, open));
  }
  return merged;
}

/** ROC points (false positive rate, true positive rate) at the bins' lower edges, from the top bin down. */
export function rocPoints(bins: readonly CountBin[]): Array<readonly [number, number]> {
  const positives = bins.reduce((s, b) => s + b.positives, 0);
  const negatives = bins.reduce((s, b) => s + b.negatives, 0);
  const points: Array<readonly [number, number]> = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (const b of [...bins].reverse()) {
    tp += b.positives;
    fp += b.negatives;
    points.push([fp / negatives, tp / positives]);
  }
  return points;
}
