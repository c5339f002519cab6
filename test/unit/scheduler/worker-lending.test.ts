import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClinferError } from '../../../runtime/errors/index.js';
import { Metrics } from '../../../runtime/metrics/metrics.js';
import type { ModelConfig } from '../../../runtime/model/model-config.js';
import type { SessionSpec } from '../../../runtime/pool/messages.js';
import { DynamicBatcher } from '../../../runtime/scheduler/dynamic-batcher.js';
import type { BackendInferOptions, BackendInferResult, InferenceBackend } from '../../../runtime/scheduler/inference-backend.js';
import { LENDING, lendingAllowed, WorkerLending } from '../../../runtime/scheduler/worker-lending.js';
import type { Tensor } from '../../../runtime/tensor/tensor.js';

/**
 * Worker lending against a fake backend of two or three threads whose runs the test settles (fake timers for the ages
 * and the pause): a version at its cap borrows the idle thread only when it has a normal history, no
 * other version waits and none of its own batches looks stuck; a lent batch carries the lent limit; a
 * lent batch given up is run again on the version's own share, and borrowing pauses.
 */
const metrics = new Metrics();
const spec = (key: string) => ({ key, executionTimeoutMs: 120_000 }) as SessionSpec;
const model = (name: string, maxBatchSize = 0) => ({
  name, version: '1', maxBatchSize, instances: 2,
  scheduling: { maxQueueDelayMs: 0, preferredBatchSizes: [], maxQueueSize: 100, defaultTimeoutMs: 0 },
}) as unknown as ModelConfig;

interface Run {
  readonly model: string;
  readonly id: number;
  readonly options: BackendInferOptions | undefined;
  settled: boolean;
  succeed(): void;
  fail(error: unknown): void;
}

class Threads implements InferenceBackend {
  readonly runs: Run[] = [];
  /** What each run reports as its compute time. */
  computeSeconds = 0.002;
  constructor(readonly threads = 2) {}
  get running(): number {
    return this.runs.filter((r) => !r.settled).length;
  }
  get idleWorkers(): number {
    return Math.max(0, this.threads - this.running);
  }
  infer(s: SessionSpec, inputs: readonly Tensor[], _fetches: readonly string[], options?: BackendInferOptions): Promise<BackendInferResult> {
    const data = Float32Array.from(inputs[0]!.data as Float32Array);
    return new Promise((resolve, reject) => {
      const run: Run = {
        model: s.key, id: data[0]!, options, settled: false,
        succeed: () => { run.settled = true; resolve({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data }], computeSeconds: this.computeSeconds }); },
        fail: (e) => { run.settled = true; reject(e); },
      };
      this.runs.push(run);
    });
  }
  pending(key?: string): Run[] {
    return this.runs.filter((r) => !r.settled && (key === undefined || r.model === key));
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const request = (id: number) => ({ inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1], data: new Float32Array([id]) }], fetches: ['y'], priority: 2, timeoutMs: undefined });
const lentTotal = async (name: string) => (await metrics.lentBatches.get()).values.find((v) => v.labels.model === name)?.value ?? 0;

function setup(threads = 2) {
  const backend = new Threads(threads);
  const registry = new WorkerLending();
  const lending = { registry, idleWorkers: () => backend.idleWorkers };
  const make = (name: string, lend = true, maxBatchSize = 0) => new DynamicBatcher(model(name, maxBatchSize), spec(name), backend, metrics, { maxInstances: 1, ...(lend ? { lending } : {}) });
  return { backend, make };
}

/** Runs `n` batches of `batcher` one after the other, so that it has a normal history. */
async function history(backend: Threads, batcher: DynamicBatcher, key: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const answer = batcher.enqueue(request(1000 + i));
    await flush();
    backend.pending(key)[0]!.succeed();
    await answer;
    await flush();
  }
}

/** Answers every running batch, then the ones that started in their place. */
async function settleTwice(backend: Threads): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (const r of backend.pending()) r.succeed();
    await flush();
  }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('worker lending', () => {
  it('borrows the idle thread only after a normal history, with the lent limit, and counts it', async () => {
    const { backend, make } = setup();
    const a = make('a');
    const before = await lentTotal('a');
    // No history yet: at its cap of 1, the second request waits although a thread is idle.
    const first = [a.enqueue(request(1)), a.enqueue(request(2))];
    await flush();
    expect(backend.pending('a')).toHaveLength(1);
    backend.pending('a')[0]!.succeed();
    await flush();
    backend.pending('a')[0]!.succeed();
    await Promise.all(first);
    await history(backend, a, 'a', LENDING.HISTORY);
    const answers = [a.enqueue(request(1)), a.enqueue(request(2)), a.enqueue(request(3))];
    await flush();
    const running = backend.pending('a');
    expect(running.map((r) => r.id)).toEqual([1, 2]);
    expect(running[0]!.options?.lentLimitMs).toBeUndefined();
    expect(running[1]!.options?.lentLimitMs).toBe(LENDING.LIMIT_FLOOR_MS);
    expect(await lentTotal('a')).toBe(before + 1);
    for (const r of running) r.succeed();
    await flush();
    backend.pending('a')[0]!.succeed();
    expect((await Promise.all(answers)).map((x) => Array.from(x.outputs[0]!.data as Float32Array))).toEqual([[1], [2], [3]]);
  });

  it('never borrows while another version has requests waiting, nor without lending', async () => {
    // Three threads: with a and b on one each, one is idle.
    const { backend, make } = setup(3);
    const a = make('a');
    const b = make('b');
    const strict = make('strict', false);
    await history(backend, a, 'a', LENDING.HISTORY);
    await history(backend, strict, 'strict', LENDING.HISTORY);
    // b (no history: it cannot borrow) holds one thread and has a request queued behind it.
    void b.enqueue(request(10));
    void b.enqueue(request(11));
    void a.enqueue(request(1));
    void a.enqueue(request(2));
    await flush();
    expect(backend.pending('a')).toHaveLength(1);
    expect(backend.pending('b')).toHaveLength(1);
    await settleTwice(backend);
    // Alone now, but lending is off for this one: one at a time.
    void strict.enqueue(request(20));
    void strict.enqueue(request(21));
    await flush();
    expect(backend.pending('strict')).toHaveLength(1);
  });

  it('never borrows for a batching model whose batches take under a millisecond; one that does not batch does', async () => {
    const { backend, make } = setup(3);
    backend.computeSeconds = 0.0002;
    const batching = make('batching', true, 8);
    const single = make('single');
    // Long enough for the typical batch (a moving average from 10 ms) to fall below 1 ms.
    await history(backend, batching, 'batching', 30);
    await history(backend, single, 'single', 30);
    // The second request waits for the first batch, to be merged with what else queues meanwhile.
    void batching.enqueue(request(1));
    void batching.enqueue(request(2));
    await flush();
    expect(backend.pending('batching')).toHaveLength(1);
    await settleTwice(backend);
    // Every batch of a model that does not batch is one request: a second thread overlaps them.
    void single.enqueue(request(3));
    void single.enqueue(request(4));
    await flush();
    expect(backend.pending('single')).toHaveLength(2);
  });

  it('stops borrowing once one of its batches has run much longer than usual', async () => {
    const { backend, make } = setup();
    const a = make('a');
    await history(backend, a, 'a', LENDING.HISTORY);
    void a.enqueue(request(1));
    await flush();
    // Its running batch is past the stall threshold (typical batch 1 ms: the 50 ms floor).
    vi.advanceTimersByTime(LENDING.STALL_FLOOR_MS + 1);
    void a.enqueue(request(2));
    await flush();
    expect(backend.pending('a').map((r) => r.id)).toEqual([1]);
  });

  it('runs a lent batch given up (WORKER_EXITED) again on its own share, and pauses borrowing', async () => {
    const { backend, make } = setup();
    const a = make('a');
    await history(backend, a, 'a', LENDING.HISTORY);
    const own = a.enqueue(request(1));
    const lent = a.enqueue(request(2));
    await flush();
    const [ownRun, lentRun] = backend.pending('a');
    expect(lentRun!.options?.lentLimitMs).toBeGreaterThan(0);
    lentRun!.fail(new ClinferError('WORKER_EXITED', 'the execution ran past 2000 ms on a worker thread lent to its model'));
    await flush();
    // The retry waits for the own share: the lent thread is idle again, but a retried request never borrows.
    expect(backend.pending('a')).toHaveLength(1);
    ownRun!.succeed();
    await flush();
    const retry = backend.pending('a')[0]!;
    expect(retry.id).toBe(2);
    expect(retry.options?.lentLimitMs).toBeUndefined();
    retry.succeed();
    expect((await lent).outputs[0]!.data).toEqual(new Float32Array([2]));
    await own;
    // Paused: a fresh history within the pause does not bring borrowing back.
    await history(backend, a, 'a', LENDING.HISTORY);
    void a.enqueue(request(3));
    void a.enqueue(request(4));
    await flush();
    expect(backend.pending('a')).toHaveLength(1);
    await settleTwice(backend);
    vi.advanceTimersByTime(LENDING.PAUSE_MS);
    void a.enqueue(request(5));
    void a.enqueue(request(6));
    await flush();
    expect(backend.pending('a')).toHaveLength(2);
  });

  it('is allowed only where nobody chose the limits, and not with exitAfterStuckWorkers', () => {
    const defaults = { workerLending: true, maxInstancesPerModel: 0, exitAfterStuckWorkers: 0 };
    expect(lendingAllowed(defaults, undefined)).toBe(true);
    expect(lendingAllowed({ ...defaults, workerLending: false }, undefined)).toBe(false);
    expect(lendingAllowed({ ...defaults, maxInstancesPerModel: 1 }, undefined)).toBe(false);
    expect(lendingAllowed({ ...defaults, exitAfterStuckWorkers: 1 }, undefined)).toBe(false);
    expect(lendingAllowed(defaults, 1)).toBe(false);
  });
});
