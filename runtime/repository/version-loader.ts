import { join, relative } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { BUNDLE_FILE, readVersionFolder, sha256File } from '../bundle/read-bundle.js';
import { bundleDigest, fileDigests, verifyFolder } from '../bundle/signature.js';
import type { Config } from '../config/config-schema.js';
import { signingKeys } from '../config/trusted-keys.js';
import { ClinferError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { buildModelConfig } from '../model/build-model-config.js';
import type { ConfigOverride } from '../model/config-override.js';
import type { ModelConfig } from '../model/model-config.js';
import type { DriftMonitor, DriftMonitorFactory } from '../monitoring/drift-monitor.js';
import type { SessionSpec } from '../pool/messages.js';
import { checkLinearModel } from '../predict/linear-model-check.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { SchedulerFactory } from '../scheduler/scheduler-factory.js';
import { modelMemory, warmupStatus } from './load-facts.js';
import { instanceLimit, loadIsolated } from './load-isolated.js';
import type { ModelBackend } from './model-backend.js';
import type { ReplayPolicy } from './replay-policy.js';
import { warmupPlan } from './warmup-plan.js';
import { lendingAllowed } from '../scheduler/worker-lending.js';

/** What a version needs to serve, once its sessions run. */
export interface LoadedVersion {
  readonly config: ModelConfig;
  readonly spec: SessionSpec;
  /** The version's own scheduler (from the SchedulerFactory). */
  readonly batcher: Scheduler;
  readonly drift: DriftMonitor | undefined;
}

/** A version folder to load; `checkNames`: bundle.json's name and version must match the folders (not in a flat KServe folder). */
export interface VersionFolderRef {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly checkNames: boolean;
}

export interface VersionLoaderDeps {
  readonly backend: ModelBackend;
  readonly config: Config;
  readonly schedulers: SchedulerFactory;
  readonly driftMonitors: DriftMonitorFactory;
  readonly replay: ReplayPolicy;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/**
 * Turns a version folder into a running version, leaving its state to model-lifecycle.ts: checks the
 * signature (trusted keys) and the replay policy before anything else is read, reads the bundle, creates
 * and warms up the sessions (load-isolated.ts), builds the model configuration, and gets the scheduler
 * and drift monitor from the factories server.ts passes in. A failure frees the sessions it created.
 */
export class VersionLoader {
  readonly #deps: VersionLoaderDeps;
  readonly #trustedKeys: KeyObject[];
  /** Makes each load's session key unique, so that a reload never meets the sessions of the one before. */
  #generation = 0;

  constructor(deps: VersionLoaderDeps) {
    this.#deps = deps;
    this.#trustedKeys = signingKeys(deps.config.trustedKeys);
  }

  /** Worker threads one version may occupy at once (maxInstancesPerModel). */
  get maxInstances(): number {
    return instanceLimit(this.#deps.backend.size, this.#deps.config.maxInstancesPerModel);
  }

  /** The digest of a staged deploy, checking its signature when trusted keys are configured. */
  async stagedDigest(dir: string, expected: { name: string; version: string }): Promise<string> {
    return this.#trustedKeys.length ? (await verifyFolder(dir, this.#trustedKeys, expected)).digest : bundleDigest(await fileDigests(dir));
  }

  async load(ref: VersionFolderRef, options: { override: ConfigOverride | undefined; onExecutionTimeout: (reason: string) => void }): Promise<LoadedVersion> {
    const { name, version, dir, checkNames } = ref;
    const { backend, config: settings, metrics, log } = this.#deps;
    const expected = checkNames ? { name, version } : undefined;
    let spec: SessionSpec | undefined;
    let batcher: Scheduler | undefined;
    try {
      // Trusted keys configured: nothing is read from the folder before its signature verifies.
      const files = this.#trustedKeys.length ? (await verifyFolder(dir, this.#trustedKeys, expected)).files : await fileDigests(dir, false);
      const digest = bundleDigest(files);
      this.#deps.replay.check(name, version, digest);
      const folder = await readVersionFolder(dir, expected);
      const bundle = folder.bundle;
      spec = {
        key: `${name}/${version}#${++this.#generation}`,
        modelPath: folder.modelPath,
        // Every session (a replacement worker's too) is made from bytes hashed to this: what runs is what was verified.
        modelSha256: files[relative(dir, folder.modelPath)] ?? (await sha256File(folder.modelPath)),
        providers: [...(bundle?.execution.providers ?? settings.providers)],
        intraOpThreads: bundle?.execution.intra_op_threads || settings.intraOpThreads,
        executionTimeoutMs: bundle?.execution.timeout_ms ?? settings.executionTimeoutMs,
        warmup: await warmupPlan(dir, bundle, join(dir, BUNDLE_FILE)),
        ...(folder.pipeline ? { pipeline: folder.pipeline } : {}),
      };
      const rssBefore = process.memoryUsage.rss();
      const reports = await loadIsolated(backend, spec, { timeoutMs: settings.loadTimeoutMs, isolation: settings.loadIsolation, what: dir });
      const report = reports[0]!;
      if (report.fallbacks.length > 0) {
        log.warn('execution provider fallback', { model: name, version, provider: report.provider, failed: report.fallbacks });
      }
      // Declared samples must run (the bundle says they are valid input); zeros with guessed sizes may
      // be meaningless to a valid model, so their failure is a warning and the first real request tells.
      if (report.warmupError && spec.warmup.kind === 'samples') throw new ClinferError('BUNDLE_INVALID', `${dir}: declared warm-up failed: ${report.warmupError}`);
      if (report.warmupError) {
        log.warn('synthetic warm-up failed; the model serves, declare warmup.samples in bundle.json', { model: name, version, reason: report.warmupError });
        metrics.warmupFailures.inc({ model: name, version });
      }
      const config = buildModelConfig({ name, version, bundleFile: join(dir, BUNDLE_FILE), digest }, report, bundle, {
        autofillMaxBatchSize: settings.autofillMaxBatchSize,
        autofillBatchBudgetBytes: settings.autofillBatchBudgetBytes,
        maxBodyBytes: settings.maxBodyBytes,
        maxBodyBytesCeiling: settings.maxBodyBytesCeiling,
        maxQueueSize: settings.maxQueueSize,
        maxQueueDelayUs: settings.maxQueueDelayUs,
        instances: this.maxInstances,
        override: options.override,
      }, { warmup: warmupStatus(spec.warmup, report.warmupError), memory: await modelMemory(folder.modelPath, reports.length, process.memoryUsage.rss() - rssBefore) });
      const lend = lendingAllowed(settings, bundle?.execution.instances);
      batcher = this.#deps.schedulers.forVersion(config, spec, { maxInstances: this.maxInstances, onExecutionTimeout: options.onExecutionTimeout, lend });
      // A tabular bundle's linear_model (its contributions) must describe the graph that runs.
      if (config.tabular) await checkLinearModel(config as typeof config & { tabular: NonNullable<typeof config.tabular> }, this.#deps.schedulers.direct(spec), join(dir, BUNDLE_FILE));
      const drift = config.driftReference ? this.#deps.driftMonitors(config.driftReference, config.tabular?.features.map((f) => f.name) ?? []) : undefined;
      return { config, spec, batcher, drift };
    } catch (error) {
      await batcher?.stop();
      // Not awaited: a thread busy with another model answers it later, and the load has failed either way.
      if (spec) void backend.unload(spec.key).catch(() => undefined);
      throw error;
    }
  }
}
