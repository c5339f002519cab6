/** Temporary model repositories: demo bundles copied as they are, third-party models as bare <name>/1/model.<ext>. */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { TensorModel } from './models.js';

function copyModel(root: string, m: TensorModel, maxBatchSize?: number): void {
  if ('dir' in m.source) {
    cpSync(m.source.dir, join(root, m.name), { recursive: true });
    if (maxBatchSize !== undefined) {
      const file = join(root, m.name, '1', 'bundle.json');
      const bundle = JSON.parse(readFileSync(file, 'utf8'));
      bundle.max_batch_size = maxBatchSize;
      writeFileSync(file, JSON.stringify(bundle, null, 2));
    }
  } else {
    mkdirSync(join(root, m.name, '1'), { recursive: true });
    // model.onnx or model.ort: the repository serves either as a bare model.
    cpSync(m.source.file, join(root, m.name, '1', `model${extname(m.source.file)}`));
  }
}

/** <tmp>/<name>/ holding the models; maxBatchSize overrides the bundles' own (bare models: use autofillMaxBatchSize). */
export function makeRepository(tmp: string, name: string, models: readonly TensorModel[], maxBatchSize?: number): string {
  const root = join(tmp, name);
  mkdirSync(root, { recursive: true });
  for (const m of models) copyModel(root, m, maxBatchSize);
  return root;
}
