import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { BUNDLE_FILE, readVersionFolder, sha256File } from '../bundle/read-bundle.js';
import { bundleDigest, fileDigests, verifyFolder } from '../bundle/signature.js';
import type { Config } from '../config/config-schema.js';
import { signingKeys } from '../config/trusted-keys.js';
import { ClinferError, modelNotFound, versionNotFound } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics, ModelState } from '../metrics/metrics.js';
import { buildModelConfig } from '../model/build-model-config.js';
import { checkLinearModel } from '../predict/linear-model-check.js';
import { directScheduler } from '../scheduler/direct-scheduler.js';
import type { SessionSpec } from '../pool/messages.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import { DynamicBatcher } from '../scheduler/dynamic-batcher.js';
import { instanceLimit, loadIsolated } from './load-isolated.js';
import { ShadowScheduler } from '../scheduler/shadow-scheduler.js';
import { SequenceBatcher } from '../scheduler/sequence-batcher.js';
import type { AuditLog } from '../audit/audit-log.js';
import { DriftMonitor } from '../monitoring/drift-monitor.js';
import type { IndexEntry, ModelVersion } from './model-version.js';
import { assessReadiness, type Readiness } from './readiness.js';
import { readVersionPolicy, selectVersions, type VersionPolicy } from './version-policy.js';
import type { ConfigOverride } from '../model/config-override.js';
import { relativeError, relativeMessage } from './relative-paths.js';
import { createReplayPolicy, type ReplayPolicy } from './replay-policy.js';
import { modelMemory, warmupStatus } from './load-facts.js';
import { warmupPlan } from './warmup-plan.js';

export interface Candidate {
  readonly version: string;
  readonly mode: 'shadow' | 'canary';
  /** canary: the share of requests without an explicit version that the candidate answers. */
  readonly percent: number;
}

const VERSION_DIR = /^[1-9][0-9]*$/;
const MODEL_FILES = [BUNDLE_FILE, 'model.onnx', 'model.ort'];

async function holdsModel(dir: string): Promise<boolean> {
  for (const file of MODEL_FILES) if ((await stat(join(dir, file)).catch(() => undefined))?.isFile()) return true;
  return false;
}
const MODEL_DIR = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Triton's model repository: `<root>/<model>/<version>/`. Owns every ModelVersion and its lifecycle.
 * A broken version never stops the others: it is UNAVAILABLE with a reason naming file and field.
 * Loads of one model are serialised; a reload keeps the old version serving until the new one is READY.
 */
export class ModelRepository {
  readonly #root: string;
  readonly #pool: WorkerPool;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #config: Config;
  readonly #models = new Map<string, Map<string, ModelVersion>>();
  /** Failures that concern a whole model folder (bad model.json, no version folder). */
  readonly #modelErrors = new Map<string, string>();
  readonly #locks = new Map<string, Promise<unknown>>();
  #generation = 0;
  /** A candidate version per model: evaluated in shadow, or answering a share of traffic (canary). */
  readonly #candidates = new Map<string, Candidate>();
  /** Versions pinned by a rollback, over the version policy, until the next load or deploy. */
  readonly #pins = new Map<string, string>();
  /** Models unloaded through the API: not expected to be READY (readiness) until their next load or deploy. */
  readonly #unloadedByRequest = new Set<string>();
  /** Versions the watchdog took out of service ("model\0version" -> the reason it gave); see readiness.ts. */
  readonly #quarantined = new Map<string, string>();
  #initialLoadDone = false;
  /** Each model's version policy as last read (model.json), for the model configuration endpoint. */
  readonly #policies = new Map<string, VersionPolicy>();
  /** Configuration overrides given with a load (Triton's parameters.config), until the next load or deploy. */
  readonly #overrides = new Map<string, ConfigOverride>();
  /** Set when the root itself holds one model (KServe's /mnt/models): its name from the config. */
  #singleModel: string | undefined;

  readonly #trustedKeys: KeyObject[];

  readonly #audit: AuditLog | undefined;
  readonly #replay: ReplayPolicy;

  constructor(options: { root: string; pool: WorkerPool; metrics: Metrics; log: Logger; config: Config; audit?: AuditLog | undefined }) {
    this.#root = options.root;
    this.#pool = options.pool;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#config = options.config;
    // Read and validated with the configuration (config/trusted-keys.ts).
    this.#trustedKeys = signingKeys(options.config.trustedKeys);
    this.#audit = options.audit;
    this.#replay = createReplayPolicy(options.config);
  }

  /** Loads every model folder under the root; never throws for a broken model. */
  async loadAll(): Promise<void> {
    const entries = await readdir(this.#root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw new ClinferError('CONFIG_INVALID', `model repository ${this.#root} cannot be read (${e.code ?? e.message})`);
    });
    // A crash mid-deploy or mid-delete leaves its staging or trash folder (never served): removed now.
    for (const e of entries) if (e.isDirectory() && /^\.(staging|trash)-/.test(e.name)) await rm(join(this.#root, e.name), { recursive: true, force: true });
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
    return this.#serialised(name, () => {
      if (override) this.#overrides.set(name, override);
      else this.#overrides.delete(name);
      this.#pins.delete(name);
      this.#unloadedByRequest.delete(name);
      return this.#load(name);
    });
  }

  /** Triton's unload: drains and unloads every version; they stay listed as UNAVAILABLE ('unloaded'). */
  unload(name: string): Promise<void> {
    return this.#serialised(name, async () => {
      const versions = this.#models.get(name);
      if (!versions && !this.#modelErrors.has(name)) throw modelNotFound(name);
      await Promise.all([...(versions?.values() ?? [])].map((v) => this.#unloadVersion(v)));
      this.#unloadedByRequest.add(name);
    });
  }

  /**
   * Stores an uploaded bundle as `<root>/<name>/<version>/` atomically (written and checked in a staging
   * folder on the same file system, then renamed), then loads the model: the new version warms up while the
   * old one serves. Versions are immutable: an existing one is refused.
   */
  deploy(name: string, version: string, files: readonly { name: string; data: Buffer }[]): Promise<ModelVersion> {
    return this.#serialised(name, async () => {
      if (this.#singleModel !== undefined) throw new ClinferError('INVALID_REQUEST', 'this repository holds a single model (KServe layout): deploy by replacing the mounted model');
      if (!MODEL_DIR.test(name)) throw new ClinferError('INVALID_REQUEST', `model name '${name.slice(0, 60)}' must be letters, digits, _ . - (starting with a letter or digit)`);
      if (!VERSION_DIR.test(version)) throw new ClinferError('INVALID_REQUEST', `version '${version.slice(0, 20)}' must be a positive integer`);
      const target = join(this.#root, name, version);
      if (await stat(target).catch(() => undefined)) throw new ClinferError('VERSION_EXISTS', `model '${name}' already has a version ${version}; versions are immutable, deploy it as a new version`);
      const modelDir = join(this.#root, name);
      const onDisk = await readdir(modelDir, { withFileTypes: true }).catch(() => undefined);
      this.#replay.checkNotSuperseded(name, version, (onDisk ?? []).filter((e) => e.isDirectory() && VERSION_DIR.test(e.name)).map((e) => e.name));
      const staging = join(this.#root, `.staging-${randomUUID()}`);
      await mkdir(staging);
      try {
        for (const f of files) await writeFile(join(staging, f.name), f.data);
        const digest = this.#trustedKeys.length ? (await verifyFolder(staging, this.#trustedKeys, { name, version })).digest : bundleDigest(await fileDigests(staging));
        this.#replay.check(name, version, digest);
        await readVersionFolder(staging, { name, version });
        await mkdir(modelDir, { recursive: true });
        await rename(staging, target);
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        // The first version of a model that failed leaves no empty model folder (it would list as a broken model).
        if (!onDisk) await rmdir(modelDir).catch(() => undefined);
        throw relativeError(this.#root, error, [[staging, join(name, version)]]);
      }
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
    return this.#serialised(name, async () => {
      if (this.#singleModel !== undefined) throw new ClinferError('INVALID_REQUEST', 'this repository holds a single model (KServe layout)');
      const versions = this.#models.get(name);
      const v = versions?.get(version);
      const modelDir = join(this.#root, name);
      const dir = join(modelDir, version);
      if (!MODEL_DIR.test(name) || !VERSION_DIR.test(version) || (!v && !(await stat(dir).catch(() => undefined)))) throw versionNotFound(name, version);
      const onlyReady = v?.state === 'READY' && ![...versions!.values()].some((o) => o !== v && o.state === 'READY');
      // The folder goes first, so that the policy sees only the versions that remain.
      const trash = join(this.#root, `.trash-${randomUUID()}`);
      await rename(dir, trash);
      const remaining = (await readdir(modelDir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && VERSION_DIR.test(e.name));
      if (onlyReady && remaining.length > 0) await this.#load(name).catch(() => undefined);
      if (v) {
        await this.#unloadVersion(v);
        versions!.delete(version);
        this.#metrics.forgetState(name, version);
      }
      if (remaining.length === 0) await this.#forget(name);
      await rm(trash, { recursive: true, force: true });
      this.#log.info('version deleted', { model: name, version, ...(onlyReady ? { serving: this.index().find((e) => e.name === name && e.state === 'READY')?.version ?? 'none' } : {}) });
    });
  }

  /** A model whose last version was deleted: no longer listed nor expected; its empty folder goes too. */
  async #forget(name: string): Promise<void> {
    for (const v of this.#models.get(name)?.values() ?? []) this.#metrics.forgetState(name, v.version);
    this.#models.delete(name);
    this.#candidates.delete(name);
    this.#pins.delete(name);
    this.#policies.delete(name);
    this.#overrides.delete(name);
    if (this.#modelErrors.delete(name)) this.#metrics.forgetState(name, '');
    await rmdir(join(this.#root, name)).catch(() => undefined);
  }

  /**
   * Serves the version before the one now serving, in one call: it loads, warms up, takes the traffic,
   * and the current one drains. The choice holds (over the version policy) until the next load or deploy.
   */
  rollback(name: string): Promise<ModelVersion> {
    return this.#serialised(name, async () => {
      const current = this.resolve(name);
      if (current.state !== 'READY') throw new ClinferError('MODEL_NOT_READY', `model '${name}' has no READY version to roll back from`);
      const dir = this.#singleModel === name ? this.#root : join(this.#root, name);
      const older = (await readdir(dir, { withFileTypes: true }).catch(() => []))
        .filter((e) => e.isDirectory() && VERSION_DIR.test(e.name) && Number(e.name) < Number(current.version))
        .map((e) => e.name).sort((a, b) => Number(b) - Number(a));
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

  /** The version a request addresses: the one named, else the highest READY one. */
  resolve(name: string, version?: string): ModelVersion {
    const versions = this.#models.get(name);
    if (!versions) {
      if (this.#modelErrors.has(name)) throw new ClinferError('MODEL_NOT_READY', `model '${name}' is UNAVAILABLE: ${this.#modelErrors.get(name)}`);
      // Before the first scan of the repository, an unknown name may simply not be read yet: not a 404.
      if (!this.#initialLoadDone) throw new ClinferError('MODEL_NOT_READY', `the server is starting and has not read its model repository yet; retry shortly`);
      throw modelNotFound(name);
    }
    if (version !== undefined) {
      const found = versions.get(version);
      if (!found) throw versionNotFound(name, version);
      return found;
    }
    const c = this.#candidates.get(name);
    const cand = c ? versions.get(c.version) : undefined;
    // A stateful model's candidate takes no random share: a sequence's requests must reach the version holding its state.
    if (c?.mode === 'canary' && cand?.state === 'READY' && !cand.config?.sequence && Math.random() * 100 < c.percent) return cand;
    const ordered = [...versions.values()].filter((v) => v !== cand).sort((a, b) => Number(b.version) - Number(a.version));
    return ordered.find((v) => v.state === 'READY') ?? ordered[0] ?? cand!;
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
    return assessReadiness({
      initialLoadDone: this.#initialLoadDone,
      strict: this.#config.strictReadiness,
      entries: this.index(),
      optional: new Set(this.#config.optionalModels),
      unloaded: this.#unloadedByRequest,
      quarantined: new Set(this.index().filter((v) => v.state === 'UNAVAILABLE' && this.#quarantined.get(`${v.name}\0${v.version}`) === v.reason).map((v) => `${v.name}\0${v.version}`)),
    });
  }

  async close(): Promise<void> {
    for (const name of [...this.#models.keys()]) await this.unload(name).catch(() => undefined);
    this.#models.clear();
  }

  async #load(name: string): Promise<void> {
    if (!MODEL_DIR.test(name) || (this.#singleModel !== undefined && name !== this.#singleModel)) throw modelNotFound(name);
    const dir = this.#singleModel === name ? this.#root : join(this.#root, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw modelNotFound(name);
    if (this.#modelErrors.delete(name)) this.#metrics.forgetState(name, '');
    let selected: string[];
    // A model folder holding the model itself, without version folders, is version 1 (KServe's layout).
    let flat = false;
    try {
      const policy = await readVersionPolicy(dir);
      this.#policies.set(name, policy);
      let folders = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && VERSION_DIR.test(e.name)).map((e) => e.name);
      if (folders.length === 0 && (await holdsModel(dir))) {
        flat = true;
        folders = ['1'];
      }
      if (folders.length === 0) throw new ClinferError('BUNDLE_INVALID', `${dir}: holds no version folder (expected ${dir}/1/${BUNDLE_FILE} or ${dir}/1/model.onnx)`);
      const pinned = this.#pins.get(name);
      const candidate = this.#candidates.get(name)?.version;
      const policyFolders = folders.filter((f) => f !== candidate);
      selected = pinned && folders.includes(pinned) ? [pinned] : selectVersions(policyFolders, policy);
      if (selected.length === 0) throw new ClinferError('BUNDLE_INVALID', `${dir}: the version policy selects none of the versions ${folders.join(', ')}`);
    } catch (error) {
      const reason = relativeMessage(this.#root, (error as Error).message);
      this.#modelErrors.set(name, reason);
      // A broken model folder has no version: it shows as version "" so that alerts see it too.
      this.#metrics.setState(name, '', 'UNAVAILABLE');
      this.#log.warn('model unavailable', { model: name, reason });
      throw relativeError(this.#root, error);
    }
    const versions = this.#models.get(name) ?? new Map<string, ModelVersion>();
    this.#models.set(name, versions);
    // New versions load and warm up while the old ones serve; the old ones drain only once a selected
    // version is READY, so a swap never leaves the model without a READY version, and a failed load
    // leaves the old one serving.
    const candidate = this.#candidates.get(name)?.version;
    const toLoad = candidate && !selected.includes(candidate) && versions.get(candidate)?.state !== 'READY' ? [...selected, candidate] : selected;
    const results = await Promise.allSettled(toLoad.map((v) => this.#loadVersion(name, v, flat ? dir : join(dir, v), versions, !flat)));
    const retiring = [...versions.values()].filter((v) => !selected.includes(v.version) && v.version !== candidate && v.state === 'READY');
    if (selected.some((v) => versions.get(v)?.state === 'READY')) {
      await Promise.all(retiring.map((old) => this.#unloadVersion(old)));
    } else if (retiring.length) {
      this.#log.warn('no selected version loaded; previous versions keep serving', { model: name, serving: retiring.map((v) => v.version) });
    } else if (!flat && !this.#pins.has(name)) {
      await this.#fallBack(name, dir, selected, versions);
    }
    this.#wire(name);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * None of the selected versions loaded and nothing of this model serves (a fresh start, e.g. after a
   * kill -9 during the deploy of a bad version): serve the newest older version that loads, so that the
   * model comes back with its previous version. The failed ones stay listed UNAVAILABLE with their reason.
   */
  async #fallBack(name: string, dir: string, selected: string[], versions: Map<string, ModelVersion>): Promise<void> {
    if ([...versions.values()].some((v) => v.state === 'READY')) return;
    const newestSelected = Math.max(...selected.map(Number));
    const older = (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory() && VERSION_DIR.test(e.name) && Number(e.name) < newestSelected && !selected.includes(e.name))
      .map((e) => e.name).sort((a, b) => Number(b) - Number(a));
    for (const version of older) {
      const ok = await this.#loadVersion(name, version, join(dir, version), versions, true).then(() => true, () => false);
      if (ok) {
        this.#log.warn('no selected version loaded; serving the newest older version that does', { model: name, version, failed: selected });
        return;
      }
    }
  }

  /** Puts each READY version's scheduler in place: its batcher, wrapped for shadowing when a shadow candidate is READY. */
  #wire(name: string): void {
    const versions = this.#models.get(name);
    if (!versions) return;
    const c = this.#candidates.get(name);
    const cand = c ? versions.get(c.version) : undefined;
    for (const v of versions.values()) {
      if (v.state !== 'READY' || !v.batcher) continue;
      v.scheduler = c?.mode === 'shadow' && cand?.state === 'READY' && cand.batcher && v !== cand
        ? new ShadowScheduler(v.batcher, { model: name, servingVersion: v.version, candidateVersion: cand.version, candidate: cand.batcher, compare: v.config?.bundle?.task === 'classification' ? 'argmax' : 'difference' }, this.#metrics, this.#audit)
        : v.batcher;
    }
  }

  /**
   * Attaches a candidate version: in `shadow` mode it gets a copy of every request and its results are
   * only compared and recorded; in `canary` mode it answers `percent` % of the requests that name no
   * version. It loads beside the serving version, outside the version policy, until cleared.
   */
  setCandidate(name: string, candidate: Candidate): Promise<ModelVersion> {
    return this.#serialised(name, async () => {
      if (!this.#models.has(name)) throw modelNotFound(name);
      const dir = this.#singleModel === name ? this.#root : join(this.#root, name);
      if (!(await stat(join(dir, candidate.version)).catch(() => undefined))?.isDirectory()) throw versionNotFound(name, candidate.version);
      if (candidate.mode === 'canary' && [...this.#models.get(name)!.values()].some((v) => v.config?.sequence)) {
        throw new ClinferError('INVALID_REQUEST', `model '${name}' is stateful (bundle sequence): a canary would answer a sequence's requests from two versions, each with its own state; use mode 'shadow'`);
      }
      this.#candidates.set(name, candidate);
      await this.#load(name).catch(() => undefined);
      const v = this.#models.get(name)!.get(candidate.version)!;
      if (v.state !== 'READY') {
        this.#candidates.delete(name);
        this.#wire(name);
        throw new ClinferError('BUNDLE_INVALID', `candidate '${name}' version ${candidate.version} did not load: ${v.reason}`);
      }
      this.#log.info('candidate attached', { model: name, version: candidate.version, mode: candidate.mode, percent: candidate.percent });
      return v;
    });
  }

  /** Detaches the candidate and unloads it; the serving version keeps serving. */
  clearCandidate(name: string): Promise<void> {
    return this.#serialised(name, async () => {
      const c = this.#candidates.get(name);
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
    return this.#serialised(name, async () => {
      const c = this.#candidates.get(name);
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
    return this.#candidates.get(name);
  }

  async #loadVersion(name: string, version: string, dir: string, versions: Map<string, ModelVersion>, checkNames: boolean): Promise<void> {
    const started = performance.now();
    const previous = versions.get(version);
    const next: ModelVersion = { name, version, state: 'LOADING', reason: '' };
    const keepPrevious = previous?.state === 'READY';
    if (!keepPrevious) {
      versions.set(version, next);
      this.#setState(next, 'LOADING');
    }
    let spec: SessionSpec | undefined;
    try {
      // Trusted keys configured: nothing is read from the folder before its signature verifies.
      const files = this.#trustedKeys.length
        ? (await verifyFolder(dir, this.#trustedKeys, checkNames ? { name, version } : undefined)).files
        : await fileDigests(dir, false);
      const digest = bundleDigest(files);
      this.#replay.check(name, version, digest);
      const folder = await readVersionFolder(dir, checkNames ? { name, version } : undefined);
      const bundle = folder.bundle;
      spec = {
        key: `${name}/${version}#${++this.#generation}`,
        modelPath: folder.modelPath,
        // Every session (a replacement worker's too) is made from bytes hashed to this: what runs is what was verified.
        modelSha256: files[relative(dir, folder.modelPath)] ?? (await sha256File(folder.modelPath)),
        providers: [...(bundle?.execution.providers ?? this.#config.providers)],
        intraOpThreads: bundle?.execution.intra_op_threads || this.#config.intraOpThreads,
        executionTimeoutMs: bundle?.execution.timeout_ms ?? this.#config.executionTimeoutMs,
        warmup: await warmupPlan(dir, bundle, join(dir, BUNDLE_FILE)),
        ...(folder.pipeline ? { pipeline: folder.pipeline } : {}),
      };
      const rssBefore = process.memoryUsage.rss();
      const reports = await loadIsolated(this.#pool, spec, { timeoutMs: this.#config.loadTimeoutMs, isolation: this.#config.loadIsolation, what: dir });
      const report = reports[0]!;
      if (report.fallbacks.length > 0) {
        this.#log.warn('execution provider fallback', { model: name, version, provider: report.provider, failed: report.fallbacks });
      }
      // Declared samples must run (the bundle says they are valid input); zeros with guessed sizes may
      // be meaningless to a valid model, so their failure is a warning and the first real request tells.
      if (report.warmupError && spec.warmup.kind === 'samples') throw new ClinferError('BUNDLE_INVALID', `${dir}: declared warm-up failed: ${report.warmupError}`);
      if (report.warmupError) {
        this.#log.warn('synthetic warm-up failed; the model serves, declare warmup.samples in bundle.json', { model: name, version, reason: report.warmupError });
        this.#metrics.warmupFailures.inc({ model: name, version });
      }
      const config = buildModelConfig({ name, version, bundleFile: join(dir, BUNDLE_FILE), digest }, report, bundle, {
        autofillMaxBatchSize: this.#config.autofillMaxBatchSize,
        autofillBatchBudgetBytes: this.#config.autofillBatchBudgetBytes,
        maxBodyBytes: this.#config.maxBodyBytes,
        maxBodyBytesCeiling: this.#config.maxBodyBytesCeiling,
        maxQueueSize: this.#config.maxQueueSize,
        maxQueueDelayUs: this.#config.maxQueueDelayUs,
        instances: instanceLimit(this.#pool.size, this.#config.maxInstancesPerModel),
        override: this.#overrides.get(name),
      }, { warmup: warmupStatus(spec.warmup, report.warmupError), memory: await modelMemory(folder.modelPath, reports.length, process.memoryUsage.rss() - rssBefore) });
      next.config = config;
      next.spec = spec;
      const batcher = new DynamicBatcher(config, spec, this.#pool, this.#metrics, {
        maxInstances: instanceLimit(this.#pool.size, this.#config.maxInstancesPerModel),
        onExecutionTimeout: (reason) => this.#quarantine(next, reason),
      });
      // A stateful model keeps its state per sequence in front of the batcher.
      next.batcher = config.sequence ? new SequenceBatcher({ ...config, sequence: config.sequence }, batcher, this.#metrics) : batcher;
      next.scheduler = next.batcher;
      // A tabular bundle's linear_model (its contributions) must describe the graph that runs.
      if (config.tabular) await checkLinearModel(config as typeof config & { tabular: NonNullable<typeof config.tabular> }, directScheduler(this.#pool, spec), join(dir, BUNDLE_FILE)).catch(async (error: unknown) => {
        await next.batcher?.stop();
        throw error;
      });
      if (config.driftReference) next.drift = new DriftMonitor(config.driftReference, config.tabular?.features.map((f) => f.name) ?? []);
      versions.set(version, next);
      this.#setState(next, 'READY');
      this.#metrics.loadDuration.observe({ model: name, version }, (performance.now() - started) / 1000);
      this.#metrics.executionProvider.set({ model: name, version, provider: config.provider }, 1);
      this.#metrics.modelMemory.set({ model: name, version }, config.memory!.estimatedBytes);
      if (previous && keepPrevious) await this.#retire(previous, false);
    } catch (error) {
      // Not awaited: a thread busy with another model answers it later, and the load has failed either way.
      if (spec) void this.#pool.unload(spec.key).catch(() => undefined);
      const reason = relativeMessage(this.#root, (error as Error).message);
      if (keepPrevious) {
        this.#log.warn('reload failed, previous version keeps serving', { model: name, version, reason });
      } else {
        next.reason = reason;
        this.#setState(next, 'UNAVAILABLE');
      }
      throw relativeError(this.#root, error instanceof ClinferError ? error : new ClinferError('BUNDLE_INVALID', `${dir}: ${reason}`, { cause: error }));
    }
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
    this.#setState(v, 'UNAVAILABLE');
    if (v.config) this.#metrics.executionProvider.remove({ model: v.name, version: v.version, provider: v.config.provider });
    this.#metrics.modelMemory.remove({ model: v.name, version: v.version });
    void scheduler?.stop();
    if (v.spec) void this.#pool.unload(v.spec.key).catch(() => undefined);
  }

  async #unloadVersion(v: ModelVersion): Promise<void> {
    if (v.state !== 'READY') return;
    await this.#retire(v);
    v.config = undefined;
    v.spec = undefined;
    v.scheduler = undefined;
    v.batcher = undefined;
    v.drift = undefined;
    v.reason = 'unloaded';
    this.#setState(v, 'UNAVAILABLE');
  }

  /** Drains a version's accepted requests, then frees its sessions on every worker. */
  async #retire(v: ModelVersion, announce = true): Promise<void> {
    if (announce && v.state === 'READY') this.#setState(v, 'UNLOADING');
    else v.state = 'UNLOADING';
    await v.scheduler?.stop();
    if (v.spec) await this.#pool.unload(v.spec.key).catch(() => undefined);
    if (announce && v.config) this.#metrics.executionProvider.remove({ model: v.name, version: v.version, provider: v.config.provider });
    if (announce) this.#metrics.modelMemory.remove({ model: v.name, version: v.version });
  }

  #setState(v: ModelVersion, state: ModelState): void {
    v.state = state;
    if (state !== 'UNAVAILABLE') v.reason = '';
    this.#metrics.setState(v.name, v.version, state);
    this.#log.info('model state', { model: v.name, version: v.version, state, ...(v.reason ? { reason: v.reason } : {}) });
  }

  #serialised<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(name) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(work);
    this.#locks.set(name, run.catch(() => undefined));
    return run;
  }
}
