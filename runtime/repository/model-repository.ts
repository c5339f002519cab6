import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readVersionFolder } from '../bundle/read-bundle.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError, modelNotFound, versionNotFound } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ConfigOverride } from '../model/config-override.js';
import type { DriftMonitorFactory } from '../monitoring/drift-monitor.js';
import type { SchedulerFactory } from '../scheduler/scheduler-factory.js';
import { type Candidate, Candidates } from './candidates.js';
import { stageVersion } from './deploy-staging.js';
import type { ModelBackend } from './model-backend.js';
import { ModelLifeCycle } from './model-lifecycle.js';
import type { IndexEntry, ModelVersion } from './model-version.js';
import { PerModelQueue } from './per-model-queue.js';
import { assessReadiness, type Readiness } from './readiness.js';
import { relativeError, relativeMessage } from './relative-paths.js';
import { createReplayPolicy, type ReplayPolicy } from './replay-policy.js';
import { holdsModel, MODEL_DIR, moveToTrash, olderVersions, removeLeftovers, VERSION_DIR, versionFolders } from './repository-layout.js';
import { servingVersions } from './serving-versions.js';
import { readVersionPolicy, type VersionPolicy } from './version-policy.js';
import { VersionLoader } from './version-loader.js';

export interface ModelRepositoryOptions {
  readonly root: string;
  /** Holds the versions' sessions (the WorkerPool). */
  readonly backend: ModelBackend;
  /** Builds each READY version's scheduler (server.ts: create-scheduler-factory.ts). */
  readonly schedulers: SchedulerFactory;
  /** Builds the drift monitor of a version whose bundle carries a drift reference. */
  readonly driftMonitors: DriftMonitorFactory;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly config: Config;
}

/**
 * Triton's ModelRepositoryManager: finds models and versions on disk (`<root>/<model>/<version>/`, or one
 * model in the root, KServe's layout), decides which versions serve (version policy, rollback pins,
 * candidates), stores deployments, and is the API the routes, gRPC and CLI use. The states themselves are
 * the lifecycle's (model-lifecycle.ts); the candidates' rules are candidates.ts'.
 * A broken version never stops the others: it is UNAVAILABLE with a reason naming file and field.
 * Changes to one model are serialised; a reload keeps the old version serving until the new one is READY.
 */
export class ModelRepository {
  readonly #root: string;
  readonly #log: Logger;
  readonly #config: Config;
  readonly #loader: VersionLoader;
  readonly #lifecycle: ModelLifeCycle;
  readonly #candidates: Candidates;
  readonly #replay: ReplayPolicy;
  readonly #queue = new PerModelQueue();
  readonly #models = new Map<string, Map<string, ModelVersion>>();
  /** Failures that concern a whole model folder (bad model.json, no version folder). */
  readonly #modelErrors = new Map<string, string>();
  /** Versions pinned by a rollback or a promotion, over the version policy, until the next load or deploy. */
  readonly #pins = new Map<string, string>();
  /** Models unloaded through the API: not expected to be READY (readiness) until their next load or deploy. */
  readonly #unloadedByRequest = new Set<string>();
  #initialLoadDone = false;
  /** Each model's version policy as last read (model.json), for the model configuration endpoint. */
  readonly #policies = new Map<string, VersionPolicy>();
  /** Configuration overrides given with a load (Triton's parameters.config), until the next load or deploy. */
  readonly #overrides = new Map<string, ConfigOverride>();
  /** Set when the root itself holds one model (KServe's /mnt/models): its name from the config. */
  #singleModel: string | undefined;

  constructor(options: ModelRepositoryOptions) {
    this.#root = options.root;
    this.#log = options.log;
    this.#config = options.config;
    this.#replay = createReplayPolicy(options.config);
    this.#loader = new VersionLoader({ ...options, replay: this.#replay });
    this.#lifecycle = new ModelLifeCycle({ loader: this.#loader, backend: options.backend, metrics: options.metrics, log: options.log, root: options.root });
    this.#candidates = new Candidates(options.schedulers);
  }

  /** Loads every model folder under the root; never throws for a broken model. */
  async loadAll(): Promise<void> {
    const entries = await readdir(this.#root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw new ClinferError('CONFIG_INVALID', `model repository ${this.#root} cannot be read (${e.code ?? e.message})`);
    });
    await removeLeftovers(this.#root, entries);
    if (await holdsModel(this.#root)) {
      this.#singleModel = this.#config.modelName;
      await this.load(this.#singleModel).catch(() => undefined);
    } else {
      for (const entry of entries) {
        if (entry.isDirectory() && MODEL_DIR.test(entry.name)) await this.load(entry.name).catch(() => undefined);
      }
    }
    this.#initialLoadDone = true;
  }

  /** Triton's load: (re)reads the model folder and serves the versions its policy selects. */
  load(name: string, override?: ConfigOverride): Promise<void> {
    return this.#queue.run(name, () => {
      if (override) this.#overrides.set(name, override);
      else this.#overrides.delete(name);
      this.#pins.delete(name);
      this.#unloadedByRequest.delete(name);
      return this.#load(name);
    });
  }

  /** Triton's unload: drains and unloads every version; they stay listed as UNAVAILABLE ('unloaded'). */
  unload(name: string): Promise<void> {
    return this.#queue.run(name, async () => {
      const versions = this.#models.get(name);
      if (!versions && !this.#modelErrors.has(name)) throw modelNotFound(name);
      await Promise.all([...(versions?.values() ?? [])].map((v) => this.#lifecycle.unload(v)));
      this.#unloadedByRequest.add(name);
    });
  }

  /**
   * Stores an uploaded bundle as `<root>/<name>/<version>/` (deploy-staging.ts), then loads the model: the
   * new version warms up while the old one serves. Versions are immutable: an existing one is refused.
   */
  deploy(name: string, version: string, files: readonly { name: string; data: Buffer }[]): Promise<ModelVersion> {
    return this.#queue.run(name, async () => {
      if (this.#singleModel !== undefined) throw new ClinferError('INVALID_REQUEST', 'this repository holds a single model (KServe layout): deploy by replacing the mounted model');
      if (!MODEL_DIR.test(name)) throw new ClinferError('INVALID_REQUEST', `model name '${name.slice(0, 60)}' must be letters, digits, _ . - (starting with a letter or digit)`);
      if (!VERSION_DIR.test(version)) throw new ClinferError('INVALID_REQUEST', `version '${version.slice(0, 20)}' must be a positive integer`);
      if (await stat(join(this.#root, name, version)).catch(() => undefined)) throw new ClinferError('VERSION_EXISTS', `model '${name}' already has a version ${version}; versions are immutable, deploy it as a new version`);
      const onDisk = await versionFolders(join(this.#root, name)).catch(() => undefined);
      this.#replay.checkNotSuperseded(name, version, onDisk ?? []);
      await stageVersion({
        root: this.#root, name, version, files, modelFolderExisted: onDisk !== undefined,
        check: async (staging) => {
          this.#replay.check(name, version, await this.#loader.stagedDigest(staging, { name, version }));
          await readVersionFolder(staging, { name, version });
        },
      });
      this.#log.info('bundle deployed', { model: name, version, files: files.length });
      this.#overrides.delete(name);
      this.#pins.delete(name);
      this.#unloadedByRequest.delete(name);
      await this.#load(name).catch(() => undefined);
      return this.resolve(name, version);
    });
  }

  /**
   * Unloads a version (it drains) and deletes its folder. When it was the model's only READY version, the
   * version policy is applied again to the versions that remain, so the newest remaining one loads and
   * takes the traffic before this one drains (no gap when it loads; if it fails, the model shows that
   * version UNAVAILABLE with its reason). Deleting the last version forgets the model.
   */
  remove(name: string, version: string): Promise<void> {
    return this.#queue.run(name, async () => {
      if (this.#singleModel !== undefined) throw new ClinferError('INVALID_REQUEST', 'this repository holds a single model (KServe layout)');
      const versions = this.#models.get(name);
      const v = versions?.get(version);
      const modelDir = join(this.#root, name);
      const dir = join(modelDir, version);
      if (!MODEL_DIR.test(name) || !VERSION_DIR.test(version) || (!v && !(await stat(dir).catch(() => undefined)))) throw versionNotFound(name, version);
      const onlyReady = v?.state === 'READY' && ![...versions!.values()].some((o) => o !== v && o.state === 'READY');
      // The folder goes first, so that the policy sees only the versions that remain.
      const trash = await moveToTrash(this.#root, dir);
      const remaining = await versionFolders(modelDir).catch(() => []);
      if (onlyReady && remaining.length > 0) await this.#load(name).catch(() => undefined);
      if (v) {
        await this.#lifecycle.unload(v);
        versions!.delete(version);
        this.#lifecycle.forget(name, version);
      }
      if (remaining.length === 0) await this.#forget(name);
      await rm(trash, { recursive: true, force: true });
      this.#log.info('version deleted', { model: name, version, ...(onlyReady ? { serving: this.index().find((e) => e.name === name && e.state === 'READY')?.version ?? 'none' } : {}) });
    });
  }

  /**
   * Serves the version before the one now serving, in one call: it loads, warms up, takes the traffic,
   * and the current one drains. The choice holds (over the version policy) until the next load or deploy.
   */
  rollback(name: string): Promise<ModelVersion> {
    return this.#queue.run(name, async () => {
      const current = this.resolve(name);
      if (current.state !== 'READY') throw new ClinferError('MODEL_NOT_READY', `model '${name}' has no READY version to roll back from`);
      const older = await olderVersions(this.#modelDir(name), current.version);
      if (older.length === 0) throw new ClinferError('INVALID_REQUEST', `model '${name}' has no version older than ${current.version} to roll back to`);
      this.#pins.set(name, older[0]!);
      await this.#load(name).catch(() => undefined);
      const now = this.resolve(name);
      if (now.version !== older[0] || now.state !== 'READY') {
        this.#pins.delete(name);
        throw new ClinferError('BUNDLE_INVALID', `rollback of '${name}' to version ${older[0]} failed (${now.reason || now.state}); version ${current.version} keeps serving`);
      }
      this.#log.info('rolled back', { model: name, from: current.version, to: now.version });
      return now;
    });
  }

  /**
   * Attaches a candidate version: in `shadow` mode it gets a copy of every request and its results are
   * only compared and recorded; in `canary` mode it answers `percent` % of the requests that name no
   * version. It loads beside the serving version, outside the version policy, until cleared.
   */
  setCandidate(name: string, candidate: Candidate): Promise<ModelVersion> {
    return this.#queue.run(name, async () => {
      const versions = this.#models.get(name);
      if (!versions) throw modelNotFound(name);
      if (!(await stat(join(this.#modelDir(name), candidate.version)).catch(() => undefined))?.isDirectory()) throw versionNotFound(name, candidate.version);
      this.#candidates.checkAllowed(name, candidate, versions.values());
      this.#candidates.set(name, candidate);
      await this.#load(name).catch(() => undefined);
      const v = versions.get(candidate.version)!;
      if (v.state !== 'READY') {
        this.#candidates.delete(name);
        this.#candidates.wire(name, versions);
        throw new ClinferError('BUNDLE_INVALID', `candidate '${name}' version ${candidate.version} did not load: ${v.reason}`);
      }
      this.#log.info('candidate attached', { model: name, version: candidate.version, mode: candidate.mode, percent: candidate.percent });
      return v;
    });
  }

  /** Detaches the candidate and unloads it; the serving version keeps serving. */
  clearCandidate(name: string): Promise<void> {
    return this.#queue.run(name, async () => {
      const c = this.#candidates.of(name);
      if (!c) throw new ClinferError('INVALID_REQUEST', `model '${name}' has no candidate`);
      // Ending an evaluation must not promote the candidate: the serving version stays pinned until the
      // next load or deploy (a load then applies the version policy, which is how a candidate is promoted).
      const serving = this.resolve(name);
      this.#candidates.delete(name);
      if (serving.state === 'READY' && serving.version !== c.version) this.#pins.set(name, serving.version);
      await this.#load(name).catch(() => undefined);
    });
  }

  /**
   * Makes the candidate the serving version: it is pinned (as a rollback pins, over the version policy,
   * until the next load or deploy), the shadow or canary ends, and the version that served drains.
   * `check` runs first, inside the model's serialised section, on the candidate it will promote (the
   * promotion gate): what it throws refuses the promotion and changes nothing.
   */
  promote(name: string, check: (candidate: ModelVersion) => void): Promise<ModelVersion> {
    return this.#queue.run(name, async () => {
      const c = this.#candidates.of(name);
      if (!c) throw new ClinferError('INVALID_REQUEST', `model '${name}' has no candidate to promote; attach one with POST /v2/repository/models/${name}/candidate`);
      const cand = this.#models.get(name)?.get(c.version);
      if (cand?.state !== 'READY') throw new ClinferError('MODEL_NOT_READY', `candidate '${name}' version ${c.version} is not READY (${cand?.reason || cand?.state || 'not loaded'})`);
      check(cand);
      const previous = this.#pins.get(name);
      this.#candidates.delete(name);
      this.#pins.set(name, c.version);
      await this.#load(name).catch(() => undefined);
      const now = this.resolve(name);
      // The version reloads from its folder: what serves must be the bundle that was checked.
      if (now.version !== c.version || now.state !== 'READY' || now.config?.digest !== cand.config?.digest) {
        // Put things back as they were: the candidate stays attached and the old version serves on.
        if (previous) this.#pins.set(name, previous);
        else this.#pins.delete(name);
        this.#candidates.set(name, c);
        await this.#load(name).catch(() => undefined);
        throw new ClinferError('BUNDLE_INVALID', `promotion of '${name}' version ${c.version} failed (${now.version === c.version && now.state === 'READY' ? 'its folder changed after the check' : now.reason || now.state}); it stays the candidate`);
      }
      this.#log.info('candidate promoted', { model: name, version: c.version, mode: c.mode });
      return now;
    });
  }

  candidateOf(name: string): Candidate | undefined {
    return this.#candidates.of(name);
  }

  /** The version a request addresses: the one named, else the canary for its share, else the highest READY one. */
  resolve(name: string, version?: string): ModelVersion {
    const versions = this.#models.get(name);
    if (!versions) {
      if (this.#modelErrors.has(name)) throw new ClinferError('MODEL_NOT_READY', `model '${name}' is UNAVAILABLE: ${this.#modelErrors.get(name)}`);
      // Before the first scan of the repository, an unknown name may simply not be read yet: not a 404.
      if (!this.#initialLoadDone) throw new ClinferError('MODEL_NOT_READY', `the server is starting and has not read its model repository yet; retry shortly`);
      throw modelNotFound(name);
    }
    if (version === undefined) return this.#candidates.route(name, versions);
    const found = versions.get(version);
    if (!found) throw versionNotFound(name, version);
    return found;
  }

  /** Every known model version with its state and reason (the repository index). */
  index(): IndexEntry[] {
    const out: IndexEntry[] = [];
    for (const [name, reason] of this.#modelErrors) out.push({ name, version: '', state: 'UNAVAILABLE', reason });
    for (const versions of this.#models.values()) {
      for (const v of versions.values()) out.push({ name: v.name, version: v.version, state: v.state, reason: v.reason });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  }

  /** Every READY version (for metrics that look at each, like drift). */
  readyVersions(): ModelVersion[] {
    return [...this.#models.values()].flatMap((m) => [...m.values()]).filter((v) => v.state === 'READY');
  }

  /** Model names whose folder is being served (for metadata listings). */
  versionsOf(name: string): string[] {
    return [...(this.#models.get(name)?.keys() ?? [])].sort((a, b) => Number(a) - Number(b));
  }

  /** The policy choosing which versions serve: a rollback's pin, else model.json's (default: the latest). */
  versionPolicyOf(name: string): VersionPolicy {
    const pinned = this.#pins.get(name);
    return pinned ? { specific: [pinned] } : this.#policies.get(name) ?? { latest: 1 };
  }

  /** Whether every expected model has a READY version; readiness.ts defines "expected". */
  readiness(): Readiness {
    const entries = this.index();
    return assessReadiness({
      initialLoadDone: this.#initialLoadDone,
      strict: this.#config.strictReadiness,
      entries,
      optional: new Set(this.#config.optionalModels),
      unloaded: this.#unloadedByRequest,
      quarantined: new Set(entries.filter((v) => this.#lifecycle.isQuarantined(v)).map((v) => `${v.name}\0${v.version}`)),
    });
  }

  async close(): Promise<void> {
    for (const name of [...this.#models.keys()]) await this.unload(name).catch(() => undefined);
    this.#models.clear();
  }

  #modelDir(name: string): string {
    return this.#singleModel === name ? this.#root : join(this.#root, name);
  }

  /** A model whose last version was deleted: no longer listed nor expected; its empty folder goes too. */
  async #forget(name: string): Promise<void> {
    for (const v of this.#models.get(name)?.values() ?? []) this.#lifecycle.forget(name, v.version);
    this.#models.delete(name);
    this.#candidates.delete(name);
    this.#pins.delete(name);
    this.#policies.delete(name);
    this.#overrides.delete(name);
    if (this.#modelErrors.delete(name)) this.#lifecycle.forget(name, '');
    await rmdir(join(this.#root, name)).catch(() => undefined);
  }

  async #load(name: string): Promise<void> {
    if (!MODEL_DIR.test(name) || (this.#singleModel !== undefined && name !== this.#singleModel)) throw modelNotFound(name);
    const dir = this.#modelDir(name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw modelNotFound(name);
    if (this.#modelErrors.delete(name)) this.#lifecycle.forget(name, '');
    const candidate = this.#candidates.of(name)?.version;
    let flat: boolean;
    let selected: string[];
    try {
      const policy = await readVersionPolicy(dir);
      this.#policies.set(name, policy);
      ({ flat, selected } = await servingVersions(dir, policy, { pinned: this.#pins.get(name), candidate }));
    } catch (error) {
      const reason = relativeMessage(this.#root, (error as Error).message);
      this.#modelErrors.set(name, reason);
      this.#lifecycle.reportModelUnavailable(name);
      this.#log.warn('model unavailable', { model: name, reason });
      throw relativeError(this.#root, error);
    }
    const versions = this.#models.get(name) ?? new Map<string, ModelVersion>();
    this.#models.set(name, versions);
    // New versions load and warm up while the old ones serve; the old ones drain only once a selected
    // version is READY, so a swap never leaves the model without a READY version, and a failed load
    // leaves the old one serving.
    const toLoad = candidate && !selected.includes(candidate) && versions.get(candidate)?.state !== 'READY' ? [...selected, candidate] : selected;
    const results = await Promise.allSettled(toLoad.map((v) => this.#loadVersion(name, v, flat ? dir : join(dir, v), versions, !flat)));
    const retiring = [...versions.values()].filter((v) => !selected.includes(v.version) && v.version !== candidate && v.state === 'READY');
    if (selected.some((v) => versions.get(v)?.state === 'READY')) {
      await Promise.all(retiring.map((old) => this.#lifecycle.unload(old)));
    } else if (retiring.length) {
      this.#log.warn('no selected version loaded; previous versions keep serving', { model: name, serving: retiring.map((v) => v.version) });
    } else if (!flat && !this.#pins.has(name)) {
      await this.#fallBack(name, dir, selected, versions);
    }
    this.#candidates.wire(name, versions);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  #loadVersion(name: string, version: string, dir: string, versions: Map<string, ModelVersion>, checkNames: boolean): Promise<void> {
    return this.#lifecycle.load({ name, version, dir, checkNames }, versions, this.#overrides.get(name));
  }

  /**
   * None of the selected versions loaded and nothing of this model serves (a fresh start, e.g. after a
   * kill -9 during the deploy of a bad version): serve the newest older version that loads, so that the
   * model comes back with its previous version. The failed ones stay listed UNAVAILABLE with their reason.
   */
  async #fallBack(name: string, dir: string, selected: string[], versions: Map<string, ModelVersion>): Promise<void> {
    if ([...versions.values()].some((v) => v.state === 'READY')) return;
    const newestSelected = String(Math.max(...selected.map(Number)));
    for (const version of await olderVersions(dir, newestSelected, selected)) {
      const ok = await this.#loadVersion(name, version, join(dir, version), versions, true).then(() => true, () => false);
      if (ok) {
        this.#log.warn('no selected version loaded; serving the newest older version that does', { model: name, version, failed: selected });
        return;
      }
    }
  }
}
