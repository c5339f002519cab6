import { linearLogit, linearProbeRows } from '../../adapters/tabular/explain.js';
import { logitOf, readRow } from '../../adapters/tabular/postprocessing.js';
import type { TabularSpec } from '../../adapters/tabular/tabular-spec.js';
import { ClinferError } from '../errors/index.js';
import type { ModelConfig } from '../model/model-config.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { tabularPostprocessing } from './tabular-postprocessing.js';

const DEFAULT_TOLERANCE = 0.01;

/**
 * A bundle's `linear_model` (the source of its per-feature contributions) must be the model that runs:
 * the graph is evaluated at probe rows (the training mean, each feature one SD above it, the missing row)
 * and its log-odds (or value, for a regression) compared with the linear model's. A mismatch beyond
 * `linear_model.tolerance` (default 0.01) refuses the bundle, naming the coefficient that disagrees most.
 */
export async function checkLinearModel(model: ModelConfig & { tabular: TabularSpec }, scheduler: Scheduler, file: string): Promise<void> {
  const post = tabularPostprocessing(model);
  const linear = post.linearModel;
  if (!linear) return;
  const spec = model.tabular;
  const fail = (message: string) => new ClinferError('BUNDLE_INVALID', `${file}: field 'postprocessing.linear_model': ${message}`);
  const unknown = Object.keys(linear.coefficients).find((name) => !spec.features.some((f) => f.name === name));
  if (unknown) throw fail(`coefficients.${unknown} names no feature (the features are ${spec.features.map((f) => f.name).join(', ')})`);
  const rows = linearProbeRows(spec, linear);
  const out = await runRows(model, scheduler, rows, post.output);
  const graph = rows.map((_, i) => {
    const raw = out.slice(i * post.width, (i + 1) * post.width);
    if (post.kind === 'none') return raw[0]!;
    const p = readRow(post, raw).value;
    // Far in the tails float32 probabilities cannot give log-odds to the tolerance: such a probe says nothing.
    return p > 1e-6 && p < 1 - 1e-6 ? logitOf(post, raw) : Number.NaN;
  });
  const declared = rows.map((r) => linearLogit(spec, linear, r));
  const tolerance = linear.tolerance ?? DEFAULT_TOLERANCE;
  const scale = post.kind === 'none' ? 'output units' : 'log-odds';
  const at = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  if (Number.isFinite(graph[0]!) && Math.abs(graph[0]! - declared[0]!) > tolerance) {
    throw fail(`at the training means the graph gives ${at(graph[0]!)} ${scale}, the linear model ${at(declared[0]!)} (intercept ${linear.intercept}); it does not describe this model`);
  }
  let worst: { feature: string; graph: number; declared: number } | undefined;
  spec.features.forEach((f, k) => {
    const g = graph[k + 1]! - graph[0]!;
    const d = declared[k + 1]! - declared[0]!;
    if (!Number.isFinite(g) || Math.abs(g - d) <= tolerance) return;
    if (!worst || Math.abs(g - d) > Math.abs(worst.graph - worst.declared)) worst = { feature: f.name, graph: g, declared: d };
  });
  if (worst) {
    throw fail(`coefficients.${worst.feature} disagrees with the graph: one standard deviation of ${worst.feature} is ${at(worst.declared)} ${scale} by the linear model, ${at(worst.graph)} in the graph (tolerance ${tolerance}); contributions would be wrong`);
  }
  const missing = rows.length - 1;
  if (missing > spec.features.length && Number.isFinite(graph[missing]!) && Math.abs(graph[missing]! - declared[missing]!) > tolerance) {
    throw fail(`medians disagree with the graph's imputation: with every imputed feature missing the graph gives ${at(graph[missing]!)} ${scale}, the linear model ${at(declared[missing]!)}`);
  }
}

/**
 * The graph's output for `rows`, in requests the model accepts: as many rows as its batch allows (a fixed
 * first dimension n: n rows each, the last request padded with the first row).
 */
async function runRows(model: ModelConfig & { tabular: TabularSpec }, scheduler: Scheduler, rows: number[][], output: string): Promise<number[]> {
  const columns = model.tabular.features.length;
  const fixed = model.inputs.find((i) => i.name === model.tabular.input)?.shape[0];
  const size = fixed !== undefined && fixed > 0 ? fixed : model.maxBatchSize > 1 ? model.maxBatchSize : rows.length;
  const values: number[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size);
    const padded = fixed !== undefined && fixed > 0 ? [...chunk, ...Array.from({ length: size - chunk.length }, () => rows[0]!)] : chunk;
    const data = new Float32Array(padded.length * columns);
    padded.forEach((r, i) => data.set(r, i * columns));
    const result = await scheduler.enqueue({ inputs: [{ name: model.tabular.input, datatype: 'FP32', shape: [padded.length, columns], data }], fetches: [output], priority: 1, timeoutMs: undefined });
    const got = Array.from(result.outputs[0]!.data as Float32Array | Float64Array);
    values.push(...got.slice(0, (got.length / padded.length) * chunk.length));
  }
  return values;
}

