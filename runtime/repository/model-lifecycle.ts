import { ClinferError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ConfigOverride } from '../model/config-override.js';
import type { ModelBackend } from './model-backend.js';
import { checkTransition, MODEL_STATES, type ModelState } from './model-state.js';
import type { ModelVersion } from './model-version.js';
import { relativeError, relativeMessage } from './relative-paths.js';
import type { VersionFolderRef, VersionLoader } from './version-loader.js';

/**
 * Triton's ModelLifeCycle: the only code that moves a version between the states of model-state.ts, and
 * reports each state (the clinfer_model_state gauge, the log). It loads a version (the work itself is
 * version-loader.ts), replaces a READY version by a reload without a gap, drains and unloads, and takes a
 * version out of service after an execution timeout. Which versions to load is the repository's choice.
 */
export class ModelLifeCycle {
  readonly #loader: VersionLoader;
  readonly #backend: ModelBackend;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  /** The repository root, cut from reasons (relative-paths.ts). */
  readonly #root: string;
  /** Versions the watchdog took out of service ("model\0version" -> the reason it gave); see readiness.ts. */
  readonly #quarantined = new Map<string, string>();

  constructor(deps: { loader: VersionLoader; backend: ModelBackend; metrics: Metrics; log: Logger; root: string }) {
    this.#loader = deps.loader;
    this.#backend = deps.backend;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#root = deps.root;
  }

  /**
   * Loads a version into `versions`: a new entry goes LOADING, then READY or UNAVAILABLE with the reason
   * (and the load rejects with it). A READY version being reloaded keeps serving until the new load is
   * READY, then drains; if the new load fails, the old one serves on.
   */
  async load(ref: VersionFolderRef, versions: Map<string, ModelVersion>, override: ConfigOverride | undefined): Promise<void> {
    const { name, version, dir } = ref;
    const started = performance.now();
    const previous = versions.get(version);
    const next: ModelVersion = { name, version, state: 'LOADING', reason: '' };
    const keepPrevious = previous?.state === 'READY';
    if (!keepPrevious) {
      versions.set(version, next);
      this.#announce(next);
    }
    try {
      const loaded = await this.#loader.load(ref, { override, onExecutionTimeout: (reason) => this.#quarantine(next, reason) });
      next.config = loaded.config;
      next.spec = loaded.spec;
      next.batcher = loaded.batcher;
      next.scheduler = loaded.batcher;
      if (loaded.drift) next.drift = loaded.drift;
      versions.set(version, next);
      this.#enter(next, 'READY');
      this.#metrics.loadDuration.observe({ model: name, version }, (performance.now() - started) / 1000);
      this.#metrics.executionProvider.set({ model: name, version, provider: loaded.config.provider }, 1);
      this.#metrics.modelMemory.set({ model: name, version }, loaded.config.memory!.estimatedBytes);
      if (previous && keepPrevious) await this.#retire(previous, false);
    } catch (error) {
      const reason = relativeMessage(this.#root, (error as Error).message);
      if (keepPrevious) {
        this.#log.warn('reload failed, previous version keeps serving', { model: name, version, reason });
      } else {
        next.reason = reason;
        this.#enter(next, 'UNAVAILABLE');
      }
      throw relativeError(this.#root, error instanceof ClinferError ? error : new ClinferError('BUNDLE_INVALID', `${dir}: ${reason}`, { cause: error }));
    }
  }

  /** Drains a READY version and frees its sessions; it stays listed UNAVAILABLE ('unloaded'). Others are left as they are. */
  async unload(v: ModelVersion): Promise<void> {
    if (v.state !== 'READY') return;
    await this.#retire(v);
    v.config = undefined;
    v.spec = undefined;
    v.scheduler = undefined;
    v.batcher = undefined;
    v.drift = undefined;
    v.reason = 'unloaded';
    this.#enter(v, 'UNAVAILABLE');
  }

  /** Whether the version is UNAVAILABLE because the watchdog took it out (and not since loaded again). */
  isQuarantined(entry: { name: string; version: string; state: ModelState; reason: string }): boolean {
    return entry.state === 'UNAVAILABLE' && this.#quarantined.get(`${entry.name}\0${entry.version}`) === entry.reason;
  }

  /** A model folder that cannot be read has no version: it shows as version "" UNAVAILABLE, so that alerts see it too. */
  reportModelUnavailable(name: string): void {
    this.#report(name, '', 'UNAVAILABLE');
  }

  /** A version (or with "" a model folder's error) no longer listed: its state series go. */
  forget(name: string, version: string): void {
    for (const s of MODEL_STATES) this.#metrics.modelState.remove({ model: name, version, state: s });
  }

  /**
   * A run of this version passed its execution timeout (the pool gave its worker thread up): the version
   * is UNAVAILABLE with the reason at once, its queued requests are answered, and its sessions freed.
   * It stays so until the model is loaded again (a new deploy, a load, or a restart).
   */
  #quarantine(v: ModelVersion, reason: string): void {
    if (v.state !== 'READY') return;
    const scheduler = v.scheduler;
    v.reason = reason;
    this.#quarantined.set(`${v.name}\0${v.version}`, reason);
    this.#enter(v, 'UNAVAILABLE');
    if (v.config) this.#metrics.executionProvider.remove({ model: v.name, version: v.version, provider: v.config.provider });
    this.#metrics.modelMemory.remove({ model: v.name, version: v.version });
    void scheduler?.stop();
    if (v.spec) void this.#backend.unload(v.spec.key).catch(() => undefined);
  }

  /**
   * Drains a version's accepted requests, then frees its sessions on every worker. `announce` false: a
   * reload's new object already reports READY under the same labels, so the old one leaves quietly.
   */
  async #retire(v: ModelVersion, announce = true): Promise<void> {
    // A version quarantined while its replacement loaded is already out of service: nothing to announce.
    if (v.state === 'READY') this.#enter(v, 'UNLOADING', announce);
    await v.scheduler?.stop();
    if (v.spec) await this.#backend.unload(v.spec.key).catch(() => undefined);
    if (announce && v.config) this.#metrics.executionProvider.remove({ model: v.name, version: v.version, provider: v.config.provider });
    if (announce) this.#metrics.modelMemory.remove({ model: v.name, version: v.version });
  }

  #enter(v: ModelVersion, state: ModelState, announce = true): void {
    checkTransition(`model '${v.name}' version ${v.version}`, v.state, state);
    v.state = state;
    if (state !== 'UNAVAILABLE') v.reason = '';
    if (announce) this.#announce(v);
  }

  #announce(v: ModelVersion): void {
    this.#report(v.name, v.version, v.state);
    this.#log.info('model state', { model: v.name, version: v.version, state: v.state, ...(v.reason ? { reason: v.reason } : {}) });
  }

  #report(model: string, version: string, state: ModelState): void {
    for (const s of MODEL_STATES) this.#metrics.modelState.set({ model, version, state: s }, s === state ? 1 : 0);
  }
}
