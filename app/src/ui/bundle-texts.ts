import { translate, type Language } from '../../../adapters/tabular/language.js';
import type { FeatureSpec } from '../../../adapters/tabular/tabular-spec.js';
import type { BundleJson } from '../bundle/bundle-json.js';
import type { Texts } from './i18n.js';

/**
 * A bundle's own words in the reader's language: bundle.json's i18n.{lang} when it has them, else the
 * English field. Feature names and category labels come from the tabular declaration (label, value_labels).
 */
export function bundleText(bundle: BundleJson, field: 'description' | 'intended_use' | 'regulatory_status', language: Language): string | undefined {
  return bundle.i18n?.[language]?.[field]?.trim() || bundle[field]?.trim() || undefined;
}

/** The bundle's regulatory status, or the statement that it declares none (docs/bundle-format.md). */
export function regulatoryStatus(bundle: BundleJson, t: Texts, language: Language): string {
  return bundleText(bundle, 'regulatory_status', language) ?? t.regulatoryUndeclared;
}

/** A UCUM unit code as the reader writes it: the bundle's i18n units, the page's names, else the code. */
export function unitName(unit: string | undefined, bundle: BundleJson, t: Texts, language: Language): string {
  if (!unit || unit === '1') return '';
  return bundle.i18n?.[language]?.units?.[unit] ?? t.units[unit] ?? unit;
}

export function featureName(feature: FeatureSpec | undefined, name: string, language: Language): string {
  return translate(feature?.label, language, name);
}

/** A category's label for a code (value_labels), else its encoding name with spaces, else the code. */
export function categoryLabel(feature: FeatureSpec, code: number, language: Language): string {
  const labelled = feature.value_labels?.[String(code)];
  if (labelled) return translate(labelled, language, String(code));
  const named = Object.entries(feature.encoding ?? {}).find(([, v]) => v === code)?.[0];
  return named ? named.replace(/_/g, ' ') : String(code);
}
