import { isClinferError } from '../errors/index.js';
import type { Metrics } from './metrics.js';

export interface RequestLabels {
  model: string;
  version: string;
}

/**
 * Runs one inference request and counts it: outcome (success or the error code) and end-to-end duration,
 * labelled with the model version once `work` has resolved it (`_unknown` before, so that a flood of
 * unknown model names cannot grow the label set).
 */
export async function countRequest<T>(metrics: Metrics, work: (label: (l: RequestLabels) => void) => Promise<T>): Promise<T> {
  const started = performance.now();
  let labels: RequestLabels = { model: '_unknown', version: '' };
  try {
    const result = await work((l) => { labels = { model: l.model, version: l.version }; });
    metrics.requests.inc({ ...labels, outcome: 'success' });
    return result;
  } catch (error) {
    metrics.requests.inc({ ...labels, outcome: isClinferError(error) ? error.code : 'INTERNAL' });
    throw error;
  } finally {
    metrics.requestDuration.observe(labels, (performance.now() - started) / 1000);
  }
}
