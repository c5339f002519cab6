import { translate, type Language } from './language.js';
import type { TabularSpec } from './tabular-spec.js';

/** Why a row has too little observed data for the bundle's `least_observed` declaration. */
export interface Shortfall {
  /** Required features that were not observed. */
  readonly missingRequired: string[];
  /** Every imputed feature (what recording more data would fix). */
  readonly imputed: string[];
  readonly imputedShare: number;
  readonly maxImputedShare: number;
}

/** undefined when the row meets the bundle's least observed data (or the bundle declares none). */
export function shortfall(spec: TabularSpec, imputed: readonly boolean[]): Shortfall | undefined {
  const least = spec.least_observed;
  if (!least) return undefined;
  const names = spec.features.filter((_, k) => imputed[k]).map((f) => f.name);
  const missingRequired = least.required.filter((name) => names.includes(name));
  const imputedShare = names.length / spec.features.length;
  if (missingRequired.length === 0 && imputedShare <= least.max_imputed_share + 1e-12) return undefined;
  return { missingRequired, imputed: names, imputedShare, maxImputedShare: least.max_imputed_share };
}

const TEXT = {
  required: { en: 'not observed, but required', fr: 'non observé(s), mais requis', de: 'nicht beobachtet, aber erforderlich' },
  share: { en: 'features would be imputed; the model accepts at most', fr: 'variables seraient imputées ; le modèle en accepte au plus', de: 'Merkmale wären imputiert; das Modell akzeptiert höchstens' },
  record: { en: 'Record', fr: 'À renseigner', de: 'Zu erfassen' },
} as const;

/** One sentence naming what is missing, with feature labels in `language` (names when no label). */
export function describeShortfall(spec: TabularSpec, s: Shortfall, language: Language = 'en'): string {
  const label = (name: string) => translate(spec.features.find((f) => f.name === name)?.label, language, name);
  const parts: string[] = [];
  if (s.missingRequired.length) parts.push(`${s.missingRequired.map(label).join(', ')}: ${TEXT.required[language]}`);
  if (s.imputedShare > s.maxImputedShare + 1e-12) {
    parts.push(`${s.imputed.length}/${spec.features.length} ${TEXT.share[language]} ${Math.floor(s.maxImputedShare * spec.features.length + 1e-9)}`);
  }
  const toRecord = s.missingRequired.length ? [...s.missingRequired, ...s.imputed.filter((n) => !s.missingRequired.includes(n))] : s.imputed;
  return `${parts.join('; ')}. ${TEXT.record[language]}: ${toRecord.map(label).join(', ')}`;
}

/** The names of a row's imputed features, in column order. */
export function imputedNames(spec: TabularSpec, imputed: readonly boolean[]): string[] {
  return spec.features.filter((_, k) => imputed[k]).map((f) => f.name);
}
