import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../runtime/config/load-config.js';
import { createLogger } from '../../../runtime/log/logger.js';
import { Metrics } from '../../../runtime/metrics/metrics.js';
import type { LoadResult, SessionSpec } from '../../../runtime/pool/messages.js';
import type { ModelBackend } from '../../../runtime/repository/model-backend.js';
import { ModelLifeCycle } from '../../../runtime/repository/model-lifecycle.js';
import type { ModelVersion } from '../../../runtime/repository/model-version.js';
import { createReplayPolicy } from '../../../runtime/repository/replay-policy.js';
import { VersionLoader } from '../../../runtime/repository/version-loader.js';
import type { Scheduler } from '../../../runtime/scheduler/scheduler.js';
import type { SchedulerFactory, VersionSchedulerOptions } from '../../../runtime/scheduler/scheduler-factory.js';

/** Sessions that never run: the backend records what was loaded and freed, and fails a load when told to. */
class FakeBackend implements ModelBackend {
  readonly size = 2;
  readonly loaded: string[] = [];
  readonly unloaded: string[] = [];
  inputType = 'float32';
  failLoad: string | undefined;
  #gate: Promise<void> | undefined;

  /** The next load waits until the returned function is called. */
  holdNextLoad(): () => void {
    let release!: () => void;
    this.#gate = new Promise<void>((r) => { release = r; });
    return release;
  }

  async load(spec: SessionSpec): Promise<LoadResult[]> {
    const gate = this.#gate;
    this.#gate = undefined;
    await gate;
    if (this.failLoad) throw new Error(this.failLoad);
    this.loaded.push(spec.key);
    const report: LoadResult = {
      threadId: 1, provider: 'cpu', fallbacks: [], loadMs: 1, warmupMs: 1,
      inputs: [{ name: 'x', isTensor: true, type: this.inputType, shape: [-1, 4] }],
      outputs: [{ name: 'y', isTensor: true, type: 'float32', shape: [-1, 1] }],
    };
    return [report, { ...report, threadId: 2 }];
  }

  async unload(key: string): Promise<void> {
    this.unloaded.push(key);
  }
}

/** Schedulers that only record being stopped; the lifecycle never runs requests through them. */
class FakeSchedulers implements SchedulerFactory {
  readonly made: { scheduler: Scheduler & { stopped: boolean }; options: VersionSchedulerOptions }[] = [];
  forVersion(_config: unknown, _spec: unknown, options: VersionSchedulerOptions) {
    const scheduler = { inflightCount: 0, stopped: false, enqueue: () => Promise.reject(new Error('not run')), async stop() { this.stopped = true; } };
    this.made.push({ scheduler, options });
    return scheduler;
  }
  direct(): Scheduler {
    throw new Error('no direct runs without a tabular bundle');
  }
  shadow(serving: Scheduler): Scheduler {
    return serving;
  }
}

let root: string;
let metrics: Metrics;
let backend: FakeBackend;
let schedulers: FakeSchedulers;
let logLines: string[];
let lifecycle: ModelLifeCycle;
let versions: Map<string, ModelVersion>;

const ref = (version = '1') => ({ name: 'm', version, dir: join(root, 'm', version), checkNames: true });
const states = () => logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'model state').map((l) => `${l.version}:${l.state}`);
const gauge = async (version = '1') => Object.fromEntries((await metrics.modelState.get()).values.filter((v) => v.labels.version === version).map((v) => [v.labels.state, v.value]));

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'clinfer-lifecycle-'));
  for (const v of ['1', '2']) {
    mkdirSync(join(root, 'm', v), { recursive: true });
    // A bare model file: the fake backend never parses it.
    writeFileSync(join(root, 'm', v, 'model.onnx'), `not a graph ${v}`);
  }
  const config = parseConfig({ models: root, loadIsolation: 'thread' });
  metrics = new Metrics();
  backend = new FakeBackend();
  schedulers = new FakeSchedulers();
  logLines = [];
  const log = createLogger('info', (line) => logLines.push(line));
  const loader = new VersionLoader({ backend, config, schedulers, driftMonitors: () => { throw new Error('no drift reference here'); }, replay: createReplayPolicy(config), metrics, log });
  lifecycle = new ModelLifeCycle({ loader, backend, metrics, log, root });
  versions = new Map();
});

afterEach(() => {
  metrics.close();
  rmSync(root, { recursive: true, force: true });
});

describe('ModelLifeCycle', () => {
  it('loads a version LOADING -> READY, with the scheduler the factory made', async () => {
    await lifecycle.load(ref(), versions, undefined);
    const v = versions.get('1')!;
    expect(v).toMatchObject({ state: 'READY', reason: '' });
    expect(states()).toEqual(['1:LOADING', '1:READY']);
    expect(v.scheduler).toBe(schedulers.made[0]!.scheduler);
    expect(schedulers.made[0]!.options.maxInstances).toBe(1);
    expect(backend.loaded).toEqual([v.spec!.key]);
    expect(await gauge()).toEqual({ LOADING: 0, READY: 1, UNLOADING: 0, UNAVAILABLE: 0 });
  });

  it('a failed load is LOADING -> UNAVAILABLE with the reason, and the load rejects with it', async () => {
    backend.failLoad = 'out of memory';
    await expect(lifecycle.load(ref(), versions, undefined)).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringContaining('out of memory') });
    expect(versions.get('1')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringContaining('out of memory') });
    // The reason names the folder relative to the repository root, never the server's path.
    expect(versions.get('1')!.reason).not.toContain(root);
    expect(states()).toEqual(['1:LOADING', '1:UNAVAILABLE']);
    expect(schedulers.made).toHaveLength(0);
  });

  it('frees the sessions of a load that fails after they were created', async () => {
    backend.inputType = 'map(int64,float)';
    await expect(lifecycle.load(ref(), versions, undefined)).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
    expect(versions.get('1')!.state).toBe('UNAVAILABLE');
    expect(backend.loaded).toHaveLength(1);
    await expect.poll(() => backend.unloaded).toEqual(backend.loaded);
  });

  it('unloads READY -> UNLOADING -> UNAVAILABLE (unloaded): drained, sessions freed', async () => {
    await lifecycle.load(ref(), versions, undefined);
    const v = versions.get('1')!;
    const key = v.spec!.key;
    await lifecycle.unload(v);
    expect(v).toMatchObject({ state: 'UNAVAILABLE', reason: 'unloaded', scheduler: undefined, config: undefined });
    expect(schedulers.made[0]!.scheduler.stopped).toBe(true);
    expect(backend.unloaded).toEqual([key]);
    expect(states()).toEqual(['1:LOADING', '1:READY', '1:UNLOADING', '1:UNAVAILABLE']);
    expect(await gauge()).toMatchObject({ READY: 0, UNAVAILABLE: 1 });
  });

  it('leaves a version that is not READY as it is on unload', async () => {
    backend.failLoad = 'broken';
    await lifecycle.load(ref(), versions, undefined).catch(() => undefined);
    const v = versions.get('1')!;
    await lifecycle.unload(v);
    expect(v).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringContaining('broken') });
    expect(states()).toEqual(['1:LOADING', '1:UNAVAILABLE']);
  });

  it('reloads a READY version without a gap: the old one serves until the new one is READY, then drains', async () => {
    await lifecycle.load(ref(), versions, undefined);
    const old = versions.get('1')!;
    const release = backend.holdNextLoad();
    const reload = lifecycle.load(ref(), versions, undefined);
    await new Promise((r) => setImmediate(r));
    expect(versions.get('1')).toBe(old);
    expect(old.state).toBe('READY');
    release();
    await reload;
    const now = versions.get('1')!;
    expect(now).not.toBe(old);
    expect(now.state).toBe('READY');
    expect(old.state).toBe('UNLOADING');
    expect(schedulers.made[0]!.scheduler.stopped).toBe(true);
    // The new object reports READY under the same labels; the old one leaves without a state line.
    expect(states()).toEqual(['1:LOADING', '1:READY', '1:READY']);
  });

  it('keeps the old version serving when a reload fails', async () => {
    await lifecycle.load(ref(), versions, undefined);
    const old = versions.get('1')!;
    backend.failLoad = 'bad bytes';
    await expect(lifecycle.load(ref(), versions, undefined)).rejects.toThrow(/bad bytes/);
    expect(versions.get('1')).toBe(old);
    expect(old.state).toBe('READY');
    expect(schedulers.made[0]!.scheduler.stopped).toBe(false);
  });

  it('takes a version out at an execution timeout: READY -> UNAVAILABLE with the reason, once', async () => {
    await lifecycle.load(ref(), versions, undefined);
    const v = versions.get('1')!;
    const { options, scheduler } = schedulers.made[0]!;
    options.onExecutionTimeout('a run passed 100 ms');
    expect(v).toMatchObject({ state: 'UNAVAILABLE', reason: 'a run passed 100 ms' });
    expect(lifecycle.isQuarantined(v)).toBe(true);
    expect(scheduler.stopped).toBe(true);
    await expect.poll(() => backend.unloaded).toEqual([v.spec!.key]);
    options.onExecutionTimeout('again');
    expect(v.reason).toBe('a run passed 100 ms');
    expect(states()).toEqual(['1:LOADING', '1:READY', '1:UNAVAILABLE']);
  });

  it('reports a model folder that cannot be read as version "" UNAVAILABLE, and forgets it', async () => {
    lifecycle.reportModelUnavailable('m');
    expect(await gauge('')).toMatchObject({ UNAVAILABLE: 1, READY: 0 });
    lifecycle.forget('m', '');
    expect(await gauge('')).toEqual({});
  });
});
