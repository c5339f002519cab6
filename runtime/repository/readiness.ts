import type { IndexEntry } from './model-version.js';

/**
 * Server readiness (OIP `/v2/health/ready`, gRPC ServerReady), as Triton's `--strict-readiness`.
 *
 * A model is *expected* when its folder is in the repository (found by the first scan, by a load, a
 * deployment or the watcher), except when it was unloaded through the API (until its next load or
 * deployment) or is named in `optionalModels`. With `strict` the server is ready only when every expected
 * model has at least one READY version: a model that failed to load, or is still loading with nothing
 * READY, holds readiness back. Without `strict` the server is ready once its first scan is done, whatever
 * the models' states. Before the first scan is done it is never ready.
 */
export interface ReadinessInput {
  readonly initialLoadDone: boolean;
  readonly strict: boolean;
  /** The repository index: one entry per version, version '' for a model folder that cannot be read. */
  readonly entries: readonly IndexEntry[];
  readonly optional: ReadonlySet<string>;
  readonly unloaded: ReadonlySet<string>;
  /**
   * Versions ("model\0version") the watchdog took out of service at run time (EXECUTION_TIMEOUT) and that
   * are still out. They never hold readiness back: a model that hangs on some input must not take every
   * replica, and with it every other model, out of the load balancer. They are reported as `degraded`.
   */
  readonly quarantined: ReadonlySet<string>;
}

export interface Readiness {
  readonly ready: boolean;
  /** Every version of every expected model that has no READY version (empty when ready or not strict). */
  readonly notReady: readonly IndexEntry[];
  /** Versions out of service after an execution timeout (they do not count against readiness). */
  readonly degraded: readonly IndexEntry[];
}

export function assessReadiness(input: ReadinessInput): Readiness {
  const degraded = input.entries.filter((e) => input.quarantined.has(`${e.name}\0${e.version}`));
  if (!input.initialLoadDone) return { ready: false, notReady: [], degraded };
  if (!input.strict) return { ready: true, notReady: [], degraded };
  const byModel = new Map<string, IndexEntry[]>();
  for (const e of input.entries) {
    if (input.optional.has(e.name) || input.unloaded.has(e.name)) continue;
    byModel.set(e.name, [...(byModel.get(e.name) ?? []), e]);
  }
  const quarantined = (v: IndexEntry) => input.quarantined.has(`${v.name}\0${v.version}`);
  const notReady = [...byModel.values()].filter((versions) => !versions.some((v) => v.state === 'READY' || quarantined(v))).flat();
  return { ready: notReady.length === 0, notReady, degraded };
}
