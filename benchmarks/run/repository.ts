/** Temporary model repositories: demo bundles copied as they are, third-party models as bare <name>/1/model.<ext>. */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { TensorModel } from './models.js';
import type { BenchResults } from './results.js';

export interface RepositoryOptions {
  /** Overrides the bundles' own max_batch_size (bare models: use autofillMaxBatchSize). */
  readonly maxBatchSize?: number;
  /**
   * scheduling.preferred_batch_sizes per model name: the batch it runs best in-process (part A's table),
   * as an MLOps team would set it from that table. A bare model gets a minimal bundle.json carrying it.
   */
  readonly preferredBatchSizes?: Readonly<Record<string, readonly number[]>>;
}

function copyModel(root: string, m: TensorModel, options: RepositoryOptions): void {
  const preferred = options.preferredBatchSizes?.[m.name];
  const file = join(root, m.name, '1', 'bundle.json');
  if ('dir' in m.source) {
    cpSync(m.source.dir, join(root, m.name), { recursive: true });
    if (options.maxBatchSize === undefined && !preferred) return;
    const bundle = JSON.parse(readFileSync(file, 'utf8'));
    if (options.maxBatchSize !== undefined) bundle.max_batch_size = options.maxBatchSize;
    if (preferred) bundle.scheduling = { ...bundle.scheduling, preferred_batch_sizes: [...preferred] };
    writeFileSync(file, JSON.stringify(bundle, null, 2));
  } else {
    mkdirSync(join(root, m.name, '1'), { recursive: true });
    // model.onnx or model.ort: the repository serves either as a bare model.
    const modelFile = `model${extname(m.source.file)}`;
    cpSync(m.source.file, join(root, m.name, '1', modelFile));
    if (!preferred) return;
    const sha256 = createHash('sha256').update(readFileSync(m.source.file)).digest('hex');
    writeFileSync(file, JSON.stringify({
      schema_version: 1, name: m.name, version: '1', task: 'other', model: { file: modelFile, sha256 },
      ...(options.maxBatchSize !== undefined ? { max_batch_size: options.maxBatchSize } : {}),
      scheduling: { preferred_batch_sizes: [...preferred] },
    }, null, 2));
  }
}

/** <tmp>/<name>/ holding the models. */
export function makeRepository(tmp: string, name: string, models: readonly TensorModel[], options: RepositoryOptions = {}): string {
  const root = join(tmp, name);
  mkdirSync(root, { recursive: true });
  for (const m of models) copyModel(root, m, options);
  return root;
}

/**
 * Each model's best in-process batch (part A's table) as its preferred batch size, where that batch is
 * above 1: what the bench serves it with. Empty where part A did not run.
 */
export function tunedBatchSizes(results: BenchResults, models: readonly TensorModel[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of models) {
    const best = results.limitBest(m.name);
    if (best && best.batch > 1) out[m.name] = [best.batch];
  }
  return out;
}
