/**
 * Aggregations of a patient's history into one feature value. Pure functions over time-stamped points;
 * the caller has already kept only the points of the window (from `at - window` to `at`, nothing after).
 * Times are milliseconds since the epoch; durations come out in days, slopes per year (365.25 days).
 */
export interface TimedValue {
  /** When the value applies (ms since the epoch). */
  readonly time: number;
  readonly value: number;
  /** The resource it came from (for RiskAssessment.basis). */
  readonly reference?: string;
}

export const AGGREGATIONS = [
  'latest', 'previous', 'delta', 'slope', 'mean', 'min', 'max', 'count', 'days_since_latest', 'days_since_first', 'time_above',
] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface AggregateOptions {
  /** The reference time (ms): durations are counted up to it. */
  readonly at: number;
  /** Fewest points a slope is computed from (at least 2). */
  readonly minPoints?: number;
  /** The threshold of `time_above`. */
  readonly above?: number;
}

/** A value and the points it used, or why there is none. */
export type Aggregate = { readonly value: number; readonly used: readonly TimedValue[] } | { readonly absent: string };

export const DAY_MS = 86_400_000;
const YEAR_DAYS = 365.25;

/**
 * One feature value from the window's points. `count` of nothing is 0; every other aggregation of too
 * few points is absent (the feature's `missing` rule then applies).
 */
export function aggregate(kind: Aggregation, points: readonly TimedValue[], options: AggregateOptions): Aggregate {
  // Oldest first; the sort is stable, so points at the same time keep their order and the later one is "latest".
  const sorted = [...points].sort((a, b) => a.time - b.time);
  const n = sorted.length;
  const latest = sorted[n - 1];
  const first = sorted[0];
  if (kind === 'count') return { value: n, used: sorted };
  if (!latest || !first) return { absent: 'no value in the window' };
  switch (kind) {
    case 'latest':
      return { value: latest.value, used: [latest] };
    case 'previous':
    case 'delta': {
      const previous = sorted[n - 2];
      if (!previous) return { absent: `only one value in the window (${kind} needs two)` };
      return kind === 'previous' ? { value: previous.value, used: [previous] } : { value: latest.value - previous.value, used: [previous, latest] };
    }
    case 'slope':
      return slopePerYear(sorted, Math.max(2, options.minPoints ?? 2));
    case 'mean':
      return { value: sorted.reduce((s, p) => s + p.value, 0) / n, used: sorted };
    case 'min':
    case 'max': {
      const pick = sorted.reduce((a, b) => ((kind === 'min' ? b.value < a.value : b.value > a.value) ? b : a));
      return { value: pick.value, used: [pick] };
    }
    case 'days_since_latest':
      return { value: (options.at - latest.time) / DAY_MS, used: [latest] };
    case 'days_since_first':
      return { value: (options.at - first.time) / DAY_MS, used: [first] };
    case 'time_above':
      if (options.above === undefined) return { absent: 'time_above needs a threshold (above)' };
      return timeAbove(sorted, options.above, options.at);
  }
}

/** Least-squares slope of value against time, per year; absent under `minPoints` points or with one distinct time. */
export function slopePerYear(sorted: readonly TimedValue[], minPoints: number): Aggregate {
  if (sorted.length < minPoints) return { absent: `${sorted.length} value${sorted.length === 1 ? '' : 's'} in the window, a slope needs ${minPoints}` };
  const t0 = sorted[0]!.time;
  const xs = sorted.map((p) => (p.time - t0) / DAY_MS / YEAR_DAYS);
  const xMean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const yMean = sorted.reduce((s, p) => s + p.value, 0) / sorted.length;
  let sxy = 0;
  let sxx = 0;
  sorted.forEach((p, i) => {
    sxy += (xs[i]! - xMean) * (p.value - yMean);
    sxx += (xs[i]! - xMean) ** 2;
  });
  if (sxx === 0) return { absent: 'all values in the window are at the same time; no slope' };
  return { value: sxy / sxx, used: sorted };
}

/**
 * Days during which the value was above `above`, each value holding from its time until the next one
 * (the last until `at`): last observation carried forward, from the first point of the window.
 */
export function timeAbove(sorted: readonly TimedValue[], above: number, at: number): Aggregate {
  let days = 0;
  sorted.forEach((p, i) => {
    const until = i + 1 < sorted.length ? sorted[i + 1]!.time : at;
    if (p.value > above) days += Math.max(0, until - p.time) / DAY_MS;
  });
  return { value: days, used: sorted.filter((p) => p.value > above) };
}

/** An interval of exposure (a medication period, a hospital stay); `end` undefined = still going at `at`. */
export interface TimedInterval {
  readonly start: number;
  readonly end?: number;
  readonly reference?: string;
}

/** Days covered by the union of the intervals, clipped to [from, to]; overlapping periods count once. */
export function coveredDays(intervals: readonly TimedInterval[], from: number, to: number): { value: number; used: TimedInterval[] } {
  const clipped = intervals
    .map((iv) => ({ iv, start: Math.max(from, iv.start), end: Math.min(to, iv.end ?? to) }))
    .filter((c) => c.end > c.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let runStart = Number.NaN;
  let runEnd = Number.NaN;
  for (const c of clipped) {
    if (Number.isNaN(runEnd) || c.start > runEnd) {
      if (!Number.isNaN(runEnd)) total += runEnd - runStart;
      runStart = c.start;
      runEnd = c.end;
    } else runEnd = Math.max(runEnd, c.end);
  }
  if (!Number.isNaN(runEnd)) total += runEnd - runStart;
  return { value: total / DAY_MS, used: clipped.map((c) => c.iv) };
}
