import { describe, expect, it } from 'vitest';
import { horizonEnd, horizonText, predictionHorizonSchema } from '../../../../adapters/tabular/horizon.js';

describe('prediction horizon', () => {
  const start = new Date('2026-01-31T09:00:00Z');
  it('ends by the calendar for months and years, by 24-hour days for days and weeks', () => {
    expect(horizonEnd(start, { value: 2, unit: 'a' }).toISOString()).toBe('2028-01-31T09:00:00.000Z');
    expect(horizonEnd(start, { value: 6, unit: 'mo' }).toISOString()).toBe('2026-07-31T09:00:00.000Z');
    expect(horizonEnd(start, { value: 30, unit: 'd' }).toISOString()).toBe('2026-03-02T09:00:00.000Z'); // 28 days of February + 2
    expect(horizonEnd(start, { value: 1, unit: 'wk' }).toISOString()).toBe('2026-02-07T09:00:00.000Z');
  });
  it('reads in en, fr and de', () => {
    expect(horizonText({ value: 2, unit: 'a' }, 'en')).toBe('within 2 years');
    expect(horizonText({ value: 2, unit: 'a' }, 'fr')).toBe("d'ici 2 ans");
    expect(horizonText({ value: 2, unit: 'a' }, 'de')).toBe('innerhalb von 2 Jahren');
    expect(horizonText({ value: 1, unit: 'mo' }, 'en')).toBe('within 1 month');
    expect(horizonText({ value: 30, unit: 'd' }, 'de')).toBe('innerhalb von 30 Tagen');
  });
  it('refuses what is not a whole number of a calendar unit', () => {
    expect(predictionHorizonSchema.safeParse({ value: 2, unit: 'h' }).success).toBe(false);
    expect(predictionHorizonSchema.safeParse({ value: 1.5, unit: 'a' }).success).toBe(false);
    expect(predictionHorizonSchema.safeParse({ value: 0, unit: 'a' }).success).toBe(false);
  });
});
