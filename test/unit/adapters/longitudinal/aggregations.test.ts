import { describe, expect, it } from 'vitest';
import { aggregate, coveredDays, DAY_MS, type TimedValue } from '../../../../adapters/fhir/longitudinal/aggregations.js';

const YEAR = 365.25 * DAY_MS;
const day = (d: number) => d * DAY_MS;

describe('aggregate: hand-computed values', () => {
  // Points given out of order: day 300 -> 3, day 0 -> 2, day 100 -> 4; reference time day 365.
  const points: TimedValue[] = [{ time: day(300), value: 3 }, { time: day(0), value: 2 }, { time: day(100), value: 4 }];
  const at = day(365);
  const value = (kind: Parameters<typeof aggregate>[0], extra = {}) => {
    const a = aggregate(kind, points, { at, ...extra });
    if ('absent' in a) throw new Error(a.absent);
    return a.value;
  };

  it('latest, previous and delta follow time, not input order', () => {
    expect(value('latest')).toBe(3); // day 300
    expect(value('previous')).toBe(4); // day 100
    expect(value('delta')).toBe(-1); // 3 - 4
  });

  it('mean, min, max, count', () => {
    expect(value('mean')).toBe(3); // (2 + 4 + 3) / 3
    expect(value('min')).toBe(2);
    expect(value('max')).toBe(4);
    expect(value('count')).toBe(3);
  });

  it('days since the latest and the first value', () => {
    expect(value('days_since_latest')).toBe(65); // 365 - 300
    expect(value('days_since_first')).toBe(365); // 365 - 0
  });

  it('slope per year, least squares', () => {
    // x (years) = 0, 0.5, 1, 2; y = 1, 2, 2, 5. x mean 0.875, y mean 2.5.
    // Sxy = (-0.875)(-1.5) + (-0.375)(-0.5) + (0.125)(-0.5) + (1.125)(2.5) = 1.3125 + 0.1875 - 0.0625 + 2.8125 = 4.25
    // Sxx = 0.765625 + 0.140625 + 0.015625 + 1.265625 = 2.1875; slope = 4.25 / 2.1875 = 68/35 = 1.942857... per year
    const series = [0, 0.5, 1, 2].map((y, i) => ({ time: 1_000 * DAY_MS + y * YEAR, value: [1, 2, 2, 5][i]! }));
    const a = aggregate('slope', series, { at: 1_000 * DAY_MS + 3 * YEAR });
    expect('value' in a && a.value).toBeCloseTo(68 / 35, 12);
    expect('value' in a && a.used).toHaveLength(4);
  });

  it('time above a threshold, each value held until the next (the last until the reference time)', () => {
    // y = 1 over [0, 0.5) y, 2 over [0.5, 1), 2 over [1, 2), 5 over [2, 2.5]; above 1.5:
    // 0.5 y + 1 y + 0.5 y = 2 years = 2 x 365.25 = 730.5 days
    const series = [0, 0.5, 1, 2].map((y, i) => ({ time: y * YEAR, value: [1, 2, 2, 5][i]! }));
    const a = aggregate('time_above', series, { at: 2.5 * YEAR, above: 1.5 });
    expect('value' in a && a.value).toBeCloseTo(730.5, 9);
    expect(aggregate('time_above', series, { at: 2.5 * YEAR })).toEqual({ absent: 'time_above needs a threshold (above)' });
  });
});

describe('aggregate: too little data is absent, never a made-up number', () => {
  const one = [{ time: day(10), value: 7 }];
  it('count of nothing is 0; every other aggregation of nothing is absent', () => {
    expect(aggregate('count', [], { at: day(20) })).toEqual({ value: 0, used: [] });
    for (const kind of ['latest', 'mean', 'min', 'max', 'days_since_latest', 'days_since_first', 'slope'] as const) {
      expect(aggregate(kind, [], { at: day(20) })).toHaveProperty('absent');
    }
  });
  it('previous, delta and slope need two points; min_points raises the slope minimum', () => {
    expect(aggregate('previous', one, { at: day(20) })).toHaveProperty('absent');
    expect(aggregate('delta', one, { at: day(20) })).toHaveProperty('absent');
    expect(aggregate('slope', one, { at: day(20) })).toHaveProperty('absent');
    const two = [...one, { time: day(20), value: 9 }];
    expect(aggregate('slope', two, { at: day(20), minPoints: 3 })).toEqual({ absent: '2 values in the window, a slope needs 3' });
    // (9 - 7) over 10 days = 2 / (10 / 365.25) = 73.05 per year
    const s = aggregate('slope', two, { at: day(20) });
    expect('value' in s && s.value).toBeCloseTo(73.05, 9);
  });
  it('a slope of points all at one time is absent', () => {
    expect(aggregate('slope', [{ time: day(5), value: 1 }, { time: day(5), value: 2 }], { at: day(6) })).toHaveProperty('absent');
  });
});

describe('coveredDays', () => {
  it('counts overlapping periods once, an open period until the end, clipped to the window', () => {
    const intervals = [{ start: day(10), end: day(20) }, { start: day(15), end: day(30) }, { start: day(50) }];
    // union [10, 30] = 20 days, plus [50, 60] = 10 days
    expect(coveredDays(intervals, day(0), day(60)).value).toBe(30);
    // window from day 12: [12, 30] = 18 + [50, 60] = 10
    expect(coveredDays(intervals, day(12), day(60)).value).toBe(28);
    // before any period: nothing
    expect(coveredDays(intervals, day(0), day(5))).toEqual({ value: 0, used: [] });
  });
});
