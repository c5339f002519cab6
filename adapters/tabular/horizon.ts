import { z } from 'zod';
import type { Language } from './language.js';

/**
 * The time within which a risk model's outcome is predicted (bundle.json `prediction_horizon`, e.g.
 * `{"value": 2, "unit": "a"}`): shown as RiskAssessment.prediction.whenPeriod and in the CDS card.
 * UCUM units of calendar time: d, wk, mo, a.
 */
export const predictionHorizonSchema = z.strictObject({
  value: z.number().int().min(1).max(1200),
  unit: z.enum(['d', 'wk', 'mo', 'a']),
});
export type PredictionHorizon = z.infer<typeof predictionHorizonSchema>;

/** The end of the horizon from `start`: calendar months and years (UTC), days and weeks as 24-hour days. */
export function horizonEnd(start: Date, h: PredictionHorizon): Date {
  const end = new Date(start.getTime());
  switch (h.unit) {
    case 'd': return new Date(start.getTime() + h.value * 86_400_000);
    case 'wk': return new Date(start.getTime() + h.value * 7 * 86_400_000);
    case 'mo': end.setUTCMonth(end.getUTCMonth() + h.value); return end;
    case 'a': end.setUTCFullYear(end.getUTCFullYear() + h.value); return end;
  }
}

const UNITS: Record<PredictionHorizon['unit'], Record<Language, [string, string]>> = {
  d: { en: ['day', 'days'], fr: ['jour', 'jours'], de: ['Tag', 'Tagen'] },
  wk: { en: ['week', 'weeks'], fr: ['semaine', 'semaines'], de: ['Woche', 'Wochen'] },
  mo: { en: ['month', 'months'], fr: ['mois', 'mois'], de: ['Monat', 'Monaten'] },
  a: { en: ['year', 'years'], fr: ['an', 'ans'], de: ['Jahr', 'Jahren'] },
};
const WITHIN: Record<Language, string> = { en: 'within', fr: "d'ici", de: 'innerhalb von' };

/** "within 2 years", "d'ici 2 ans", "innerhalb von 2 Jahren". */
export function horizonText(h: PredictionHorizon, language: Language): string {
  const [one, many] = UNITS[h.unit][language];
  return `${WITHIN[language]} ${h.value} ${h.value === 1 ? one : many}`;
}
