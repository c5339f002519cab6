import type { BundleJson } from '../bundle/bundle-json.js';
import { h } from './dom.js';
import type { Texts } from './i18n.js';

/** The model card: what the bundle says about the model, in its own words (not translated). */
export function modelCard(bundle: BundleJson, t: Texts): HTMLElement {
  const provenance = bundle.provenance ?? {};
  const evaluation = provenance.evaluation as { split?: string; n?: number; metrics?: Record<string, number> } | undefined;
  const training = provenance.training_data as { name?: string; citation?: string; licence?: string } | undefined;
  const row = (label: string, value: Node | string | undefined) => (value ? [h('dt', {}, label), h('dd', {}, value)] : []);
  return h('section', { class: 'card', id: 'model-card', 'aria-label': bundle.name },
    h('h2', {}, `${bundle.name}`),
    h('dl', {},
      row(t.version, bundle.version),
      row(t.task, bundle.task),
      row(t.description, bundle.description),
      row(t.intendedUse, bundle.intended_use),
      evaluation?.metrics ? row(t.evaluation, h('span', {},
        `${evaluation.split ?? ''}${evaluation.n ? ` (n = ${evaluation.n})` : ''}: `,
        Object.entries(evaluation.metrics).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`).join(', '))) : [],
      row(t.trainingData, training?.name ? `${training.name}${training.licence ? ` (${training.licence})` : ''}` : undefined),
      row(t.licence, provenance.licence),
      row(t.regulatory, regulatoryStatus(bundle, t)),
    ));
}

/** The bundle's regulatory status, or the statement that it declares none (docs/bundle-format.md). */
export function regulatoryStatus(bundle: BundleJson, t: Texts): string {
  return bundle.regulatory_status?.trim() || t.regulatoryUndeclared;
}
