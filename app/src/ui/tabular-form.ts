import type { FeatureSpec, TabularSpec } from '../../../adapters/tabular/tabular-spec.js';
import type { BundleJson } from '../bundle/bundle-json.js';
import { categoryLabel, featureName, unitName } from './bundle-texts.js';
import { h } from './dom.js';
import type { ViewContext } from './view-context.js';

/**
 * A form generated from the bundle's feature declarations (label, unit, range, categories) in the
 * reader's language; an empty field is a missing value, which the model imputes when the bundle allows
 * it. Submitting hands one record ({feature: value}) to `onRecord`, exactly what the server's
 * {"records": [...]} takes. Each field has an error line, filled by `markFields`.
 */
export function tabularForm(spec: TabularSpec, bundle: BundleJson, ctx: ViewContext, onRecord: (record: Record<string, unknown>) => void): HTMLFormElement {
  const required = new Set(spec.least_observed?.required ?? []);
  const fields = spec.features.map((f) => ({ feature: f, control: control(f, ctx, required.has(f.name)) }));
  const form = h('form', { class: 'features', id: 'tabular-form', novalidate: true },
    fields.map(({ feature, control }) => h('div', { class: 'feature' },
      h('label', { class: 'name', for: control.id }, featureName(feature, feature.name, ctx.language)),
      control,
      h('span', { class: 'hint', id: `${control.id}-hint` }, hint(feature, bundle, ctx, required.has(feature.name))),
      h('span', { class: 'field-error', id: `${control.id}-error`, hidden: true }))),
    h('button', { type: 'submit', id: 'predict-button' }, ctx.t.predict));
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

/** Shows `message` next to each named field (aria-invalid, described by it) and clears the others; returns the first marked control. */
export function markFields(form: HTMLElement, messages: ReadonlyMap<string, string>): HTMLElement | undefined {
  let first: HTMLElement | undefined;
  for (const control of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[name], select[name]')) {
    const message = messages.get(control.name);
    const slot = form.querySelector<HTMLElement>(`#${CSS.escape(control.id)}-error`);
    if (slot) {
      slot.textContent = message ?? '';
      slot.hidden = !message;
    }
    if (message) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
    control.setAttribute('aria-describedby', `${control.id}-hint${message ? ` ${control.id}-error` : ''}`);
    if (message && !first) first = control;
  }
  return first;
}

function control(f: FeatureSpec, ctx: ViewContext, required: boolean): HTMLInputElement | HTMLSelectElement {
  const { t } = ctx;
  const id = `feature-${f.name}`;
  const common = { name: f.name, id, required: f.missing === 'required' || required, 'aria-describedby': `${id}-hint` };
  if (f.type === 'number') {
    return h('input', { ...common, type: 'number', step: 'any', inputmode: 'decimal', min: f.range ? String(f.range[0]) : undefined, max: f.range ? String(f.range[1]) : undefined });
  }
  const options: [string, string][] = f.type === 'boolean' ? [['true', t.yes], ['false', t.no]]
    : f.encoding ? Object.entries(f.encoding).map(([name, code]) => [name, categoryLabel(f, code, ctx.language)])
    : (f.values ?? []).map((v) => [String(v), categoryLabel(f, v, ctx.language)]);
  return h('select', common, h('option', { value: '' }, f.missing === 'required' ? '—' : `(${t.unknown})`), options.map(([value, text]) => h('option', { value }, text)));
}

function hint(f: FeatureSpec, bundle: BundleJson, ctx: ViewContext, required: boolean): string {
  const unit = unitName(f.unit, bundle, ctx.t, ctx.language);
  const range = f.range ? `${ctx.fmt.number(f.range[0])}–${ctx.fmt.number(f.range[1])}${unit ? ` ${unit}` : ''}` : unit;
  return [range, f.missing === 'required' || required ? ctx.t.required : ''].filter(Boolean).join(' · ');
}
