import type { Language } from '../../adapters/tabular/language.js';
import { readTabularOutputs, type TabularPrediction } from '../../adapters/tabular/read-outputs.js';
import type { RecordRow } from '../../adapters/tabular/records.js';
import type { TabularSpec } from '../../adapters/tabular/tabular-spec.js';
import { ClinferError } from '../errors/index.js';
import type { ModelConfig } from '../model/model-config.js';
import { outputSummary, type DriftMonitor } from '../monitoring/drift-monitor.js';
import { tabularPostprocessing } from './tabular-postprocessing.js';
import type { ScheduledRequest, Scheduler } from '../scheduler/scheduler.js';

export type { TabularPrediction } from '../../adapters/tabular/read-outputs.js';

/**
 * Runs feature rows through the model's scheduler (same queue, batching and metrics as the OIP path)
 * and reads the outputs as the bundle's postprocessing says.
 */
export async function predictRows(
  model: ModelConfig & { tabular: TabularSpec },
  scheduler: Scheduler,
  rows: readonly RecordRow[],
  options: Pick<ScheduledRequest, 'priority' | 'timeoutMs'> & { language: Language; signal?: AbortSignal; drift?: DriftMonitor | undefined },
): Promise<TabularPrediction[]> {
  const spec = model.tabular;
  const post = tabularPostprocessing(model);
  const columns = spec.features.length;
  const data = new Float32Array(rows.length * columns);
  rows.forEach((r, i) => data.set(r.values, i * columns));
  options.drift?.observeInputs(data, rows.length);
  const result = await scheduler.enqueue({
    inputs: [{ name: spec.input, datatype: 'FP32', shape: [rows.length, columns], data }],
    fetches: [post.output],
    priority: options.priority,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const out = result.outputs[0]!;
  if (!(out.data instanceof Float32Array || out.data instanceof Float64Array)) {
    throw new ClinferError('INFERENCE_FAILED', `output '${out.name}' is ${out.datatype}; a tabular prediction needs FP32 or FP64`);
  }
  const outputs = out.data;
  const predictions = readTabularOutputs(spec, post, model.bundle?.labels ?? [], rows, outputs, options.language);
  // Drift watches the value reported (P(positive) for a classifier), whatever column the graph puts it in.
  options.drift?.observeOutputs(outputSummary('probability', Float64Array.from(predictions, (p) => p.value), rows.length));
  return predictions;
}
