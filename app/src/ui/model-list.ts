import { loadBundleJson } from '../bundle/bundle-cache.js';
import type { BundleJson } from '../bundle/bundle-json.js';
import { modelMetadata } from '../server/models.js';
import { regulatoryStatus } from './bundle-texts.js';
import { h } from './dom.js';
import type { ViewContext } from './view-context.js';

const bundles = new Map<string, Promise<BundleJson | undefined>>();

/** A model's bundle.json alone (fetched once per page), for the start page's statement of its regulatory status. */
function bundleOf(name: string): Promise<BundleJson | undefined> {
  let known = bundles.get(name);
  if (!known) {
    known = modelMetadata(name).then((m) => loadBundleJson(m.value)).catch(() => undefined);
    bundles.set(name, known);
  }
  return known;
}

/** The start page's list: each model and its regulatory status in the reader's language. */
export function modelList(models: readonly string[] | undefined, ctx: ViewContext): HTMLElement | string {
  if (!models?.length) return '';
  return h('section', { class: 'model-list', 'aria-labelledby': 'model-list-heading' },
    h('h2', { id: 'model-list-heading' }, ctx.t.availableModels),
    h('ul', { id: 'model-list' }, models.map((name) => {
      const status = h('span', { class: 'regulatory' });
      void bundleOf(name).then((bundle) => { status.textContent = bundle ? regulatoryStatus(bundle, ctx.t, ctx.language) : ''; });
      return h('li', { 'data-model': name }, h('strong', { translate: 'no' }, name), ': ', status);
    })));
}
