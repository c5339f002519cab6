import type { Language } from '../../../adapters/tabular/language.js';
import type { FeatureSpec } from '../../../adapters/tabular/tabular-spec.js';
import type { LoadedModel } from '../bundle/loaded-model.js';
import { categoryLabel, featureName, unitName } from './bundle-texts.js';
import { formatFor, type Format } from './format.js';
import { TEXTS, type Texts } from './i18n.js';

/** What every part of the page needs to speak the reader's language. */
export interface ViewContext {
  readonly language: Language;
  readonly t: Texts;
  readonly fmt: Format;
}

export function viewContext(language: Language): ViewContext {
  return { language, t: TEXTS[language], fmt: formatFor(language) };
}

/** A tabular model's feature names and values in the reader's words (labels, category names, units). */
export interface FeatureWords {
  name(feature: string): string;
  value(feature: string, value: unknown): string;
}

export function featureWords(model: LoadedModel | undefined, ctx: ViewContext): FeatureWords {
  const features: readonly FeatureSpec[] = model?.kind.type === 'tabular' ? model.kind.spec.features : [];
  const find = (name: string) => features.find((f) => f.name === name);
  return {
    name: (name) => featureName(find(name), name, ctx.language),
    value(name, value) {
      const feature = find(name);
      if (typeof value === 'boolean') return value ? ctx.t.yes : ctx.t.no;
      if (typeof value === 'string' && feature?.encoding && value in feature.encoding) return categoryLabel(feature, feature.encoding[value]!, ctx.language);
      if (typeof value !== 'number') return String(value);
      if (feature && feature.type === 'category') return categoryLabel(feature, value, ctx.language);
      const unit = feature && model ? unitName(feature.unit, model.bundle, ctx.t, ctx.language) : '';
      return `${ctx.fmt.number(value)}${unit ? ` ${unit}` : ''}`;
    },
  };
}
