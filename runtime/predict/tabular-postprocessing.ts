import { parseTabularPostprocessing, type TabularPostprocessing } from '../../adapters/tabular/postprocessing.js';
import type { ModelConfig } from '../model/model-config.js';

const parsed = new WeakMap<ModelConfig, TabularPostprocessing>();

/**
 * A tabular model's postprocessing, read against its outputs. buildModelConfig already refused a bundle
 * whose postprocessing does not fit the graph, so this cannot fail for a loaded model; read once per config.
 */
export function tabularPostprocessing(model: ModelConfig): TabularPostprocessing {
  let post = parsed.get(model);
  if (!post) {
    post = parseTabularPostprocessing(model.bundle?.postprocessing, model.bundle?.labels ?? [], model.bundle?.task ?? 'other', model.outputs, model.unsupportedOutputs);
    parsed.set(model, post);
  }
  return post;
}

/** The label the prediction reports the probability of (the positive class), if the bundle has labels. */
export function positiveLabelOf(model: ModelConfig): { id: string; text?: Record<string, string> | undefined } | undefined {
  const index = tabularPostprocessing(model).positiveLabel;
  return index === undefined ? undefined : model.bundle?.labels[index];
}
