import { probeLoad } from '../pool/load-probe.js';
import type { LoadResult, SessionSpec } from '../pool/messages.js';
import type { ModelBackend } from './model-backend.js';

/**
 * Loads a version so that the load timeout holds whatever happens: with `isolation: 'process'` the model
 * is first loaded and warmed up in a disposable child process (killed at the timeout), and reaches the
 * worker threads only once that passed; the threads then get what is left of the timeout, past which the
 * pool gives a stuck thread up and replaces it. See docs/isolation.md.
 */
export async function loadIsolated(pool: ModelBackend, spec: SessionSpec, options: { timeoutMs: number; isolation: 'process' | 'thread'; what: string }): Promise<LoadResult[]> {
  const started = performance.now();
  if (options.isolation === 'process') await probeLoad(spec, options.timeoutMs, options.what);
  const left = Math.max(1000, options.timeoutMs - (performance.now() - started));
  return pool.load(spec, left);
}

/** Worker threads one version may occupy at once: the setting, else all but one (at least one). */
export function instanceLimit(workers: number, maxInstancesPerModel: number): number {
  return maxInstancesPerModel > 0 ? Math.min(maxInstancesPerModel, workers) : Math.max(1, workers - 1);
}
