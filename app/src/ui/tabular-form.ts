import { translate, type Language } from '../../../adapters/tabular/language.js';
import type { FeatureSpec, TabularSpec } from '../../../adapters/tabular/tabular-spec.js';
import { h } from './dom.js';
import type { Texts } from './i18n.js';

/**
 * A form generated from the bundle's feature declarations (label, unit, range, categories); an empty
 * field is a missing value, which the model imputes when the bundle allows it. Submitting hands one
 * record ({feature: value}) to `onRecord`, exactly what the server's {"records": [...]} takes.
 */
export function tabularForm(spec: TabularSpec, language: Language, t: Texts, onRecord: (record: Record<string, unknown>) => void): HTMLFormElement {
  const fields = spec.features.map((f) => ({ feature: f, control: control(f, t) }));
  const form = h('form', { class: 'features', id: 'tabular-form', novalidate: true },
    fields.map(({ feature, control }) => h('label', { class: 'feature' },
      h('span', { class: 'name' }, translate(feature.label, language, feature.name)),
      control,
      h('span', { class: 'hint' }, hint(feature, t)))),
    h('button', { type: 'submit', id: 'predict-button' }, t.predict));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const record: Record<string, unknown> = {};
    for (const { feature, control } of fields) {
      const raw = control.value.trim();
      if (raw === '') continue;
      record[feature.name] = feature.type === 'boolean' ? raw === 'true'
        : feature.type === 'category' && feature.encoding && raw in feature.encoding ? raw
        : Number(raw);
    }
    onRecord(record);
  });
  return form;
}

function control(f: FeatureSpec, t: Texts): HTMLInputElement | HTMLSelectElement {
  const common = { name: f.name, id: `feature-${f.name}`, required: f.missing === 'required' };
  if (f.type === 'number') {
    return h('input', { ...common, type: 'number', step: 'any', inputmode: 'decimal', min: f.range ? String(f.range[0]) : undefined, max: f.range ? String(f.range[1]) : undefined });
  }
  const options: [string, string][] = f.type === 'boolean' ? [['true', t.yes], ['false', t.no]]
    : f.encoding ? Object.keys(f.encoding).map((name) => [name, name.replace(/_/g, ' ')])
    : (f.values ?? []).map((v) => [String(v), String(v)]);
  return h('select', common, h('option', { value: '' }, f.missing === 'required' ? '' : `(${t.unknown})`), options.map(([value, text]) => h('option', { value }, text)));
}

function hint(f: FeatureSpec, t: Texts): string {
  const parts = [f.unit && f.unit !== '1' ? f.unit : '', f.range ? `${f.range[0]}–${f.range[1]}` : '', f.missing === 'required' ? t.required : ''];
  return parts.filter(Boolean).join(' · ');
}
