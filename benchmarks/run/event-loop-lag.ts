/**
 * clinfer_event_loop_lag_seconds between two scrapes of /metrics: the histogram's cumulative buckets
 * are subtracted, so a row sees only the lag of its own measured phase. The histogram samples a 20 ms
 * timer, so p99 and max are bucket bounds (1, 2.5, 5, 10, 25 ms, ...), not exact times.
 */
import type { EventLoopLag } from './results.js';

export const LAG_METRIC = 'clinfer_event_loop_lag_seconds';

export interface LagHistogram {
  /** Upper bound (seconds; Infinity for +Inf) -> cumulative count. */
  readonly buckets: ReadonlyMap<number, number>;
  readonly sum: number;
  readonly count: number;
}

export function parseLagHistogram(text: string): LagHistogram | undefined {
  const buckets = new Map<number, number>();
  let sum = NaN;
  let count = NaN;
  for (const line of text.split('\n')) {
    if (!line.startsWith(LAG_METRIC)) continue;
    const bucket = /^clinfer_event_loop_lag_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)$/.exec(line);
    if (bucket) buckets.set(bucket[1] === '+Inf' ? Infinity : Number(bucket[1]), Number(bucket[2]));
    else if (line.startsWith(`${LAG_METRIC}_sum`)) sum = Number(line.split(' ').pop());
    else if (line.startsWith(`${LAG_METRIC}_count`)) count = Number(line.split(' ').pop());
  }
  return buckets.size && Number.isFinite(count) ? { buckets, sum, count } : undefined;
}

export function lagDelta(before: LagHistogram, after: LagHistogram): EventLoopLag | undefined {
  const samples = after.count - before.count;
  if (!(samples > 0)) return undefined;
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const inPhase = bounds.map((le) => ({ le, n: (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0) }));
  const p99 = inPhase.find((b) => b.n >= 0.99 * samples)?.le ?? Infinity;
  // The highest bound below which every sample fell: the first bucket whose cumulative count is all of them.
  const max = inPhase.find((b) => b.n >= samples)?.le ?? Infinity;
  return { samples, p99Ms: p99 * 1000, maxMs: max * 1000, meanMs: ((after.sum - before.sum) / samples) * 1000 };
}
