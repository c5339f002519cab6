import type { BundleJson } from '../bundle/bundle-json.js';
import { bundleText, regulatoryStatus } from './bundle-texts.js';
import { h } from './dom.js';
import type { ViewContext } from './view-context.js';

/**
 * The model card: what the bundle says about the model, in the reader's language when bundle.json's
 * i18n has it. Names (model, data set, licence) are marked translate="no".
 */
export function modelCard(bundle: BundleJson, ctx: ViewContext): HTMLElement {
  const { t, fmt, language } = ctx;
  const provenance = bundle.provenance ?? {};
  const evaluation = provenance.evaluation as { split?: string; n?: number; metrics?: Record<string, number> } | undefined;
  const training = provenance.training_data as { name?: string; citation?: string; licence?: string } | undefined;
  const row = (label: string, value: Node | string | undefined, name = false) => (value ? [h('dt', {}, label), h('dd', name ? { translate: 'no' } : {}, value)] : []);
  return h('section', { class: 'card', id: 'model-card', 'aria-labelledby': 'model-card-heading' },
    h('h2', { id: 'model-card-heading', translate: 'no' }, bundle.name),
    h('dl', {},
      row(t.version, bundle.version),
      row(t.task, t.tasks[bundle.task] ?? bundle.task),
      row(t.description, bundleText(bundle, 'description', language)),
      row(t.intendedUse, bundleText(bundle, 'intended_use', language)),
      evaluation?.metrics ? row(t.evaluation, h('span', {},
        `${evaluation.split === 'test' ? t.metrics.split : evaluation.split ?? ''}${evaluation.n ? ` (n = ${evaluation.n})` : ''}: `,
        Object.entries(evaluation.metrics).map(([k, v]) => `${t.metrics[k] ?? k.replace(/_/g, ' ')} ${fmt.number(v)}`).join(', '))) : [],
      row(t.trainingData, training?.name ? `${training.name}${training.licence ? ` (${training.licence})` : ''}` : undefined, true),
      row(t.licence, provenance.licence, true),
      row(t.regulatory, regulatoryStatus(bundle, t, language)),
    ));
}
