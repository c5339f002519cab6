import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClinferError } from '../../../runtime/errors/index.js';
import { Metrics } from '../../../runtime/metrics/metrics.js';
import type { ModelConfig, SchedulingPolicy } from '../../../runtime/model/model-config.js';
import type { SessionSpec } from '../../../runtime/pool/messages.js';
import { DynamicBatcher, type BatcherOptions } from '../../../runtime/scheduler/dynamic-batcher.js';
import type { BackendInferOptions, BackendInferResult, InferenceBackend } from '../../../runtime/scheduler/inference-backend.js';
import type { ScheduledRequest, ScheduledResult } from '../../../runtime/scheduler/scheduler.js';
import type { Tensor } from '../../../runtime/tensor/tensor.js';

/**
 * The DynamicBatcher's queue policy against a fake backend (as Triton tests its dynamic batcher with a
 * stub model): each batch the backend gets is recorded and runs until the test answers it; deadlines and
 * max_queue_delay run on fake timers. Nothing here depends on how fast the machine is.
 *
 * A request's rows are filled with its id; the fake answers output `y` = input `x`, so each caller can be
 * checked to get exactly its own rows back out of a merged batch.
 */
const spec = { key: 'm/1#1', executionTimeoutMs: 1500 } as SessionSpec;
/** Made before the fake timers are installed, so that its event-loop-lag timer stays on real time. */
const metrics = new Metrics();
const STAT = 1;
const ROUTINE = 2;

interface Call {
  /** The request ids of the batch, one per row, in order. */
  readonly ids: number[];
  readonly width: number;
  readonly options: BackendInferOptions | undefined;
  succeed(computeSeconds?: number): void;
  fail(error: unknown): void;
}

class FakeBackend implements InferenceBackend {
  readonly calls: Call[] = [];
  running = 0;
  maxRunning = 0;

  infer(_spec: SessionSpec, inputs: readonly Tensor[], _fetches: readonly string[], options?: BackendInferOptions): Promise<BackendInferResult> {
    const x = inputs[0]!;
    const [rows, width] = [x.shape[0]!, x.shape[1]!];
    const data = Float32Array.from(x.data as Float32Array);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise((resolve, reject) => {
      this.calls.push({
        ids: Array.from({ length: rows }, (_, r) => data[r * width]!),
        width,
        options,
        succeed: (computeSeconds = 0.001) => { this.running--; resolve({ outputs: [{ name: 'y', datatype: 'FP32', shape: [rows, width], data }], computeSeconds }); },
        fail: (error) => { this.running--; reject(error); },
      });
    });
  }

  /** The batches so far, as request ids (one per row). */
  get batches(): number[][] {
    return this.calls.map((c) => c.ids);
  }
}

function modelConfig(options: { maxBatchSize?: number; instances?: number; scheduling?: Partial<SchedulingPolicy> } = {}): ModelConfig {
  return {
    name: 'm', version: '1', maxBatchSize: options.maxBatchSize ?? 0, instances: options.instances ?? 1,
    scheduling: { maxQueueDelayMs: 0, preferredBatchSizes: [], maxQueueSize: 100, defaultTimeoutMs: 0, ...options.scheduling },
  } as unknown as ModelConfig;
}

function request(id: number, options: { priority?: number; rows?: number; width?: number; timeoutMs?: number; signal?: AbortSignal } = {}): ScheduledRequest {
  const rows = options.rows ?? 1;
  const width = options.width ?? 1;
  return {
    inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, width], data: new Float32Array(rows * width).fill(id) }],
    fetches: ['y'], priority: options.priority ?? ROUTINE, timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** A promise's outcome, readable while it is still pending. */
interface Outcome {
  state: 'pending' | 'fulfilled' | 'rejected';
  value?: ScheduledResult;
  error?: ClinferError;
}
function watch(promise: Promise<ScheduledResult>): Outcome {
  const outcome: Outcome = { state: 'pending' };
  promise.then((value) => { outcome.state = 'fulfilled'; outcome.value = value; }, (error: ClinferError) => { outcome.state = 'rejected'; outcome.error = error; });
  return outcome;
}
/** Lets every promise chain settle (setImmediate is not faked: it runs after all pending microtasks). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const rowsOf = (o: Outcome) => Array.from(o.value!.outputs[0]!.data as Float32Array);

function setup(model: ModelConfig, options: BatcherOptions = {}) {
  const backend = new FakeBackend();
  const batcher = new DynamicBatcher(model, spec, backend, metrics, options);
  const enqueue = (id: number, opts?: Parameters<typeof request>[1]) => watch(batcher.enqueue(request(id, opts)));
  return { backend, batcher, enqueue };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DynamicBatcher: batching', () => {
  it('without batching (max_batch_size 0) runs every request alone, in arrival order', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 0 }));
    const outcomes = [1, 2, 3].map((id) => enqueue(id));
    for (let i = 0; i < 3; i++) {
      expect(backend.running).toBe(1);
      backend.calls[i]!.succeed();
      await flush();
    }
    expect(backend.batches).toEqual([[1], [2], [3]]);
    expect(outcomes.map(rowsOf)).toEqual([[1], [2], [3]]);
    expect(outcomes.map((o) => o.value!.batchSize)).toEqual([1, 1, 1]);
  });

  it('merges requests queued behind a busy instance up to max_batch_size rows, and gives each caller its own rows', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 4 }));
    const outcomes = [1, 2, 3, 4, 5, 6].map((id) => enqueue(id));
    // Without a queue delay the first request does not wait for company.
    expect(backend.batches).toEqual([[1]]);
    backend.calls[0]!.succeed();
    await flush();
    expect(backend.batches).toEqual([[1], [2, 3, 4, 5]]);
    backend.calls[1]!.succeed();
    await flush();
    backend.calls[2]!.succeed();
    await flush();
    expect(backend.batches).toEqual([[1], [2, 3, 4, 5], [6]]);
    expect(outcomes.map(rowsOf)).toEqual([[1], [2], [3], [4], [5], [6]]);
    expect(outcomes.map((o) => o.value!.batchSize)).toEqual([1, 4, 4, 4, 4, 1]);
  });

  it('counts rows, not requests, and takes a later request that still fits', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 4 }));
    enqueue(9);
    const three = enqueue(1, { rows: 3 });
    const two = enqueue(2, { rows: 2 });
    const one = enqueue(3, { rows: 1 });
    backend.calls[0]!.succeed();
    await flush();
    expect(backend.batches[1]).toEqual([1, 1, 1, 3]);
    backend.calls[1]!.succeed();
    await flush();
    expect(backend.batches[2]).toEqual([2, 2]);
    backend.calls[2]!.succeed();
    await flush();
    expect([rowsOf(three), rowsOf(two), rowsOf(one)]).toEqual([[1, 1, 1], [2, 2], [3]]);
  });

  it('never merges requests whose non-batch shapes differ', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    [1, 2, 3].forEach((id) => enqueue(id, { width: id === 2 ? 2 : 1 }));
    backend.calls[0]!.succeed();
    await flush();
    backend.calls[1]!.succeed();
    await flush();
    expect(backend.calls.slice(1).map((c) => [c.ids, c.width])).toEqual([[[1, 3], 1], [[2], 2]]);
  });

  it('answers the whole batch INFERENCE_FAILED when the model does not batch along dimension 0', async () => {
    const backend = new FakeBackend();
    const batcher = new DynamicBatcher(modelConfig({ maxBatchSize: 4 }), spec, {
      infer: (s, inputs, fetches, options) => backend.infer(s, inputs.map((t) => ({ ...t, shape: [1, 1], data: (t.data as Float32Array).slice(0, 1) })), fetches, options),
    }, metrics);
    const first = watch(batcher.enqueue(request(9)));
    const merged = [1, 2].map((id) => watch(batcher.enqueue(request(id))));
    backend.calls[0]!.succeed();
    await flush();
    expect(first.state).toBe('fulfilled');
    backend.calls[1]!.succeed();
    await flush();
    for (const o of merged) expect(o.error).toMatchObject({ code: 'INFERENCE_FAILED', message: expect.stringMatching(/1 rows for a batch of 2/) });
  });
});

describe('DynamicBatcher: max_queue_delay and preferred batch sizes', () => {
  it('holds a small batch until its oldest request has waited max_queue_delay, gathering what arrives meanwhile', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8, scheduling: { maxQueueDelayMs: 100 } }));
    const a = enqueue(1);
    await vi.advanceTimersByTimeAsync(60);
    const b = enqueue(2);
    await vi.advanceTimersByTimeAsync(39);
    expect(backend.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(backend.batches).toEqual([[1, 2]]);
    backend.calls[0]!.succeed();
    await flush();
    expect([rowsOf(a), rowsOf(b)]).toEqual([[1], [2]]);
  });

  it('dispatches at once when the batch reaches max_batch_size', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 2, scheduling: { maxQueueDelayMs: 100 } }));
    enqueue(1);
    expect(backend.calls).toHaveLength(0);
    enqueue(2);
    expect(backend.batches).toEqual([[1, 2]]);
  });

  it('dispatches at once on a preferred batch size, or at or past the largest one', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8, instances: 2, scheduling: { maxQueueDelayMs: 100, preferredBatchSizes: [2, 4] } }));
    enqueue(1);
    expect(backend.calls).toHaveLength(0);
    enqueue(2);
    expect(backend.batches).toEqual([[1, 2]]);
    enqueue(3, { rows: 3 });
    expect(backend.calls).toHaveLength(1);
    enqueue(4, { rows: 2 });
    expect(backend.batches[1]).toEqual([3, 3, 3, 4, 4]);
  });

  it('with a queue delay, a free instance takes a full batch rather than a share of the queue', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 4, instances: 2, scheduling: { maxQueueDelayMs: 100 } }));
    [1, 2, 3, 4, 5].forEach((id) => enqueue(id));
    expect(backend.batches).toEqual([[1, 2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(100);
    expect(backend.batches).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('without a queue delay, a free instance takes the largest preferred batch size that the queue fills', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 16, scheduling: { preferredBatchSizes: [2, 4] } }));
    const outcomes = Array.from({ length: 12 }, (_, i) => enqueue(i + 1));
    expect(backend.batches).toEqual([[1]]);
    backend.calls[0]!.succeed();
    await flush();
    // 11 queued: 4 at a time (without preferred sizes the instance would take all 11).
    expect(backend.batches[1]).toEqual([2, 3, 4, 5]);
    backend.calls[1]!.succeed();
    await flush();
    expect(backend.batches[2]).toEqual([6, 7, 8, 9]);
    backend.calls[2]!.succeed();
    await flush();
    // 3 left: the preferred 2 that they fill; the last one alone (below every preferred size: what is there).
    expect(backend.batches[3]).toEqual([10, 11]);
    backend.calls[3]!.succeed();
    await flush();
    expect(backend.batches[4]).toEqual([12]);
    backend.calls[4]!.succeed();
    await flush();
    expect(outcomes.map(rowsOf)).toEqual(Array.from({ length: 12 }, (_, i) => [i + 1]));
  });

  it('a request with more rows than every preferred size that fits still runs, within max_batch_size', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 16, scheduling: { preferredBatchSizes: [2] } }));
    enqueue(1);
    enqueue(2, { rows: 5 });
    enqueue(3);
    backend.calls[0]!.succeed();
    await flush();
    expect(backend.batches[1]).toEqual([2, 2, 2, 2, 2, 3]);
  });
});

describe('DynamicBatcher: priority and fairness', () => {
  it('serves every queued STAT request before any queued ROUTINE one, FIFO within a level', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 0 }));
    enqueue(9);
    enqueue(1);
    enqueue(2);
    enqueue(3, { priority: STAT });
    enqueue(4, { priority: STAT });
    for (let i = 0; i < 5; i++) {
      backend.calls[i]!.succeed();
      await flush();
    }
    // The request executing when the STAT ones arrived runs to completion; nothing is pre-empted.
    expect(backend.batches).toEqual([[9], [3], [4], [1], [2]]);
  });

  it('never batches requests of different levels together', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    enqueue(1);
    enqueue(2, { priority: STAT });
    enqueue(3);
    enqueue(4, { priority: STAT });
    backend.calls[0]!.succeed();
    await flush();
    backend.calls[1]!.succeed();
    await flush();
    expect(backend.batches).toEqual([[9], [2, 4], [1, 3]]);
  });

  it('is strict between levels: ROUTINE waits while STAT requests keep coming (no ageing)', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 0 }));
    enqueue(9);
    const routine = enqueue(1);
    for (let i = 0; i < 3; i++) {
      enqueue(10 + i, { priority: STAT });
      backend.calls[i]!.succeed();
      await flush();
    }
    expect(routine.state).toBe('pending');
    backend.calls[3]!.succeed();
    await flush();
    expect(backend.batches).toEqual([[9], [10], [11], [12], [1]]);
  });

  it('starts from the oldest request of a level, even when a later shape would make a bigger batch', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    enqueue(1, { width: 2 });
    [2, 3, 4].forEach((id) => enqueue(id));
    backend.calls[0]!.succeed();
    await flush();
    expect(backend.batches[1]).toEqual([1]);
  });

  it('without a queue delay, shares the queue out evenly between instances instead of one taking it all', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8, instances: 2 }));
    enqueue(8);
    enqueue(9);
    [1, 2, 3, 4].forEach((id) => enqueue(id));
    expect(backend.running).toBe(2);
    backend.calls[0]!.succeed();
    await flush();
    expect(backend.batches[2]).toEqual([1, 2]);
    // The share counts every instance, busy or not: with [1, 2] still running, ceil(2 / 2) = 1 row.
    backend.calls[1]!.succeed();
    await flush();
    expect(backend.batches[3]).toEqual([3]);
    backend.calls[2]!.succeed();
    await flush();
    expect(backend.batches[4]).toEqual([4]);
  });

  it('runs at most its instance count at once, capped by maxInstances (maxInstancesPerModel)', async () => {
    const own = setup(modelConfig({ instances: 3 }));
    for (let id = 1; id <= 5; id++) own.enqueue(id);
    expect(own.backend.running).toBe(3);
    const capped = setup(modelConfig({ instances: 4 }), { maxInstances: 2 });
    const outcomes = [1, 2, 3, 4, 5].map((id) => capped.enqueue(id));
    for (let i = 0; i < 5; i++) {
      expect(capped.backend.running).toBeLessThanOrEqual(2);
      capped.backend.calls[i]!.succeed();
      await flush();
    }
    expect(outcomes.every((o) => o.state === 'fulfilled')).toBe(true);
    expect(capped.backend.maxRunning).toBe(2);
  });
});

describe('DynamicBatcher: queue size', () => {
  it('answers past max_queue_size QUEUE_FULL at once, with a Retry-After, and never runs it', async () => {
    const { backend, batcher, enqueue } = setup(modelConfig({ scheduling: { maxQueueSize: 2 } }));
    enqueue(9);
    enqueue(1);
    enqueue(2);
    const shed = enqueue(3);
    await flush();
    expect(shed.error).toBeInstanceOf(ClinferError);
    expect(shed.error).toMatchObject({ code: 'QUEUE_FULL', retryAfterSeconds: 1, message: expect.stringMatching(/2 requests are queued \(max_queue_size 2\)/) });
    // The executing request does not count against the queue.
    expect(batcher.inflightCount).toBe(3);
    for (let i = 0; i < 3; i++) {
      backend.calls[i]!.succeed();
      await flush();
    }
    expect(backend.batches).toEqual([[9], [1], [2]]);
  });

  it('estimates Retry-After from how long batches take', async () => {
    const { backend, enqueue } = setup(modelConfig({ scheduling: { maxQueueSize: 2 } }));
    enqueue(8);
    backend.calls[0]!.succeed(30);
    await flush();
    enqueue(9);
    enqueue(1);
    enqueue(2);
    const shed = enqueue(3);
    await flush();
    expect(shed.error!.retryAfterSeconds).toBeGreaterThan(1);
  });

  it('lets a STAT request displace the newest queued ROUTINE one, but not another STAT one', async () => {
    const { backend, enqueue } = setup(modelConfig({ scheduling: { maxQueueSize: 2 } }));
    enqueue(9);
    const older = enqueue(1);
    const newest = enqueue(2);
    const stat = enqueue(3, { priority: STAT });
    await flush();
    expect(newest.error).toMatchObject({ code: 'QUEUE_FULL' });
    expect(older.state).toBe('pending');
    const secondStat = enqueue(4, { priority: STAT });
    await flush();
    expect(older.error).toMatchObject({ code: 'QUEUE_FULL' });
    const thirdStat = enqueue(5, { priority: STAT });
    await flush();
    expect(thirdStat.error).toMatchObject({ code: 'QUEUE_FULL' });
    for (let i = 0; i < 3; i++) {
      backend.calls[i]!.succeed();
      await flush();
    }
    expect(backend.batches).toEqual([[9], [3], [4]]);
    expect([stat.state, secondStat.state]).toEqual(['fulfilled', 'fulfilled']);
  });
});

describe('DynamicBatcher: deadlines', () => {
  it('answers a request whose timeout passes while queued DEADLINE_EXCEEDED, and never runs it', async () => {
    const { backend, enqueue } = setup(modelConfig());
    enqueue(9);
    const late = enqueue(1, { timeoutMs: 50 });
    await vi.advanceTimersByTimeAsync(49);
    expect(late.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(late.error).toMatchObject({ code: 'DEADLINE_EXCEEDED', message: expect.stringMatching(/not executed/) });
    backend.calls[0]!.succeed();
    await flush();
    expect(backend.batches).toEqual([[9]]);
  });

  it('applies the model default timeout to a request without one; 0 waits as long as it takes', async () => {
    const withDefault = setup(modelConfig({ scheduling: { defaultTimeoutMs: 1000 } }));
    withDefault.enqueue(9);
    const late = withDefault.enqueue(1);
    const own = withDefault.enqueue(2, { timeoutMs: 5000 });
    const none = setup(modelConfig());
    none.enqueue(9);
    const patient = none.enqueue(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(late.error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(own.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(patient.state).toBe('pending');
    none.backend.calls[0]!.succeed();
    await flush();
    none.backend.calls[1]!.succeed();
    await flush();
    expect(patient.state).toBe('fulfilled');
  });

  it('does not cut off a request that started before its deadline', async () => {
    const { backend, enqueue } = setup(modelConfig());
    const running = enqueue(1, { timeoutMs: 50 });
    await vi.advanceTimersByTimeAsync(10_000);
    backend.calls[0]!.succeed();
    await flush();
    expect(running.state).toBe('fulfilled');
  });
});

describe('DynamicBatcher: cancellation', () => {
  it('drops a queued request whose caller went away, without running it', async () => {
    const { backend, batcher, enqueue } = setup(modelConfig());
    enqueue(9);
    const controller = new AbortController();
    const gone = enqueue(1, { signal: controller.signal });
    controller.abort();
    await flush();
    expect(gone.error).toMatchObject({ code: 'REQUEST_CANCELLED' });
    expect(batcher.inflightCount).toBe(1);
    backend.calls[0]!.succeed();
    await flush();
    expect(backend.batches).toEqual([[9]]);
  });

  it('refuses a request whose signal is already aborted', async () => {
    const { backend, enqueue } = setup(modelConfig());
    const gone = enqueue(1, { signal: AbortSignal.abort() });
    await flush();
    expect(gone.error).toMatchObject({ code: 'REQUEST_CANCELLED' });
    expect(backend.calls).toHaveLength(0);
  });

  it('lets a request that is already executing run to completion', async () => {
    const { backend, enqueue } = setup(modelConfig());
    const controller = new AbortController();
    const running = enqueue(1, { signal: controller.signal });
    controller.abort();
    backend.calls[0]!.succeed();
    await flush();
    expect(running.state).toBe('fulfilled');
  });
});

describe('DynamicBatcher: retry after a worker crash', () => {
  const crash = () => new ClinferError('WORKER_EXITED', 'the worker thread running this request exited; retry the request');

  it('runs each request of a crashed batch once more, alone, ahead of the queue, and keeps its buffers for it', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    const batch = [1, 2, 3].map((id) => enqueue(id));
    backend.calls[0]!.succeed();
    await flush();
    const later = enqueue(4);
    expect(backend.batches[1]).toEqual([1, 2, 3]);
    backend.calls[1]!.fail(crash());
    await flush();
    for (let i = 2; i < 6; i++) {
      backend.calls[i]!.succeed();
      await flush();
    }
    expect(backend.batches.slice(2)).toEqual([[1], [2], [3], [4]]);
    expect([...batch, later].map(rowsOf)).toEqual([[1], [2], [3], [4]]);
    // A lone first run sends copies (its buffers may be needed again); a merged batch and a retry do not.
    expect(backend.calls.map((c) => c.options?.preserveInputs)).toEqual([true, false, false, false, false, true]);
  });

  it('answers WORKER_EXITED when the retry dies too, and only that request', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    const [poison, innocent] = [1, 2].map((id) => enqueue(id));
    backend.calls[0]!.succeed();
    await flush();
    backend.calls[1]!.fail(crash());
    await flush();
    backend.calls[2]!.fail(crash());
    await flush();
    backend.calls[3]!.succeed();
    await flush();
    expect(poison!.error).toMatchObject({ code: 'WORKER_EXITED', message: expect.stringMatching(/not retried again/) });
    expect(innocent!.state).toBe('fulfilled');
    expect(backend.batches).toEqual([[9], [1, 2], [1], [2]]);
  });

  it('does not apply the queue deadline again to a retried request', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    const [first, second] = [1, 2].map((id) => enqueue(id, { timeoutMs: 50 }));
    backend.calls[0]!.succeed();
    await flush();
    backend.calls[1]!.fail(crash());
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    backend.calls[2]!.succeed();
    await flush();
    backend.calls[3]!.succeed();
    await flush();
    expect([first!.state, second!.state]).toEqual(['fulfilled', 'fulfilled']);
  });

  it('drops a request whose caller went away before or during its wait for the retry', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    const early = new AbortController();
    const late = new AbortController();
    const outcomes = [enqueue(1, { signal: early.signal }), enqueue(2), enqueue(3, { signal: late.signal })];
    backend.calls[0]!.succeed();
    await flush();
    early.abort();
    backend.calls[1]!.fail(crash());
    await flush();
    late.abort();
    await flush();
    backend.calls[2]!.succeed();
    await flush();
    expect(outcomes.map((o) => o.error?.code ?? o.state)).toEqual(['REQUEST_CANCELLED', 'fulfilled', 'REQUEST_CANCELLED']);
    expect(backend.batches).toEqual([[9], [1, 2, 3], [2]]);
  });

  it('does not retry any other error', async () => {
    const { backend, enqueue } = setup(modelConfig({ maxBatchSize: 8 }));
    enqueue(9);
    const batch = [1, 2].map((id) => enqueue(id));
    backend.calls[0]!.succeed();
    await flush();
    backend.calls[1]!.fail(new ClinferError('INFERENCE_FAILED', 'ONNX Runtime failed: bad input'));
    await flush();
    for (const o of batch) expect(o.error).toMatchObject({ code: 'INFERENCE_FAILED' });
    expect(backend.calls).toHaveLength(2);
  });
});

describe('DynamicBatcher: execution timeout and stop', () => {
  it('on EXECUTION_TIMEOUT answers its batch 504, the queue MODEL_NOT_READY, tells the lifecycle once, and takes no new work', async () => {
    const reasons: string[] = [];
    const { backend, batcher, enqueue } = setup(modelConfig({ instances: 2 }), { onExecutionTimeout: (r) => reasons.push(r) });
    const [a, b, queued] = [1, 2, 3].map((id) => enqueue(id));
    const timedOut = () => new ClinferError('EXECUTION_TIMEOUT', 'the execution ran past its limit of 1500 ms');
    backend.calls[0]!.fail(timedOut());
    await flush();
    backend.calls[1]!.fail(timedOut());
    await flush();
    expect(a!.error).toMatchObject({ code: 'EXECUTION_TIMEOUT', message: expect.stringMatching(/execution timeout of 1500 ms/) });
    expect(b!.error).toMatchObject({ code: 'EXECUTION_TIMEOUT' });
    expect(queued!.error).toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringMatching(/UNAVAILABLE/) });
    expect(reasons).toHaveLength(1);
    expect(backend.calls).toHaveLength(2);
    const refused = enqueue(4);
    await flush();
    expect(refused.error).toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringMatching(/UNAVAILABLE/) });
    expect(batcher.inflightCount).toBe(0);
  });

  it('stop refuses new work and resolves once accepted work is answered', async () => {
    const { backend, batcher, enqueue } = setup(modelConfig());
    const accepted = [1, 2].map((id) => enqueue(id));
    let stopped = false;
    void batcher.stop().then(() => { stopped = true; });
    const refused = enqueue(3);
    await flush();
    expect(refused.error).toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringMatching(/unloading/) });
    backend.calls[0]!.succeed();
    await flush();
    expect(stopped).toBe(false);
    backend.calls[1]!.succeed();
    await flush();
    expect(stopped).toBe(true);
    expect(accepted.map((o) => o.state)).toEqual(['fulfilled', 'fulfilled']);
  });
});
