import { join } from 'node:path';
import { bundleJson } from './bundle.js';
import { FIXTURES, TempRepository } from './server.js';

/**
 * A repository holding 'bright-regions': the generated threshold segmenter (class 1 exactly where the
 * pixel is above mid-gray, at 32x32) as a segmentation bundle. `preprocessing` adds to its declaration.
 */
export function brightRegionsRepository(patch: { preprocessing?: Record<string, unknown>; regulatory_status?: string; labelText?: Record<string, string> } = {}): TempRepository {
  const model = join(FIXTURES, 'generated/threshold_segmenter.onnx');
  return new TempRepository().add('bright-regions', '1', {
    'model.onnx': { copy: model },
    'bundle.json': bundleJson('bright-regions', '1', model, {
      task: 'segmentation',
      max_batch_size: 8,
      labels: [{ id: 'background', text: { en: 'Background', fr: 'Fond' } }, { id: 'bright', text: { en: 'Bright region', ...patch.labelText } }],
      preprocessing: { kind: 'image', input: 'image', color: 'grayscale', width: 32, height: 32, resize: 'nearest', scale: 1 / 255, mean: [0.5], std: [0.5], ...patch.preprocessing },
      postprocessing: { kind: 'segmentation', output: 'scores' },
      ...(patch.regulatory_status ? { regulatory_status: patch.regulatory_status } : {}),
    }),
  });
}
