import { ClinferError } from '../errors/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { PRIORITY_LEVELS, type ModelConfig } from '../model/model-config.js';
import type { SessionSpec } from '../pool/messages.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchKey, concatBatch, splitBatch } from './batch-tensors.js';
import type { InferenceBackend } from './inference-backend.js';
import type { ScheduledRequest, ScheduledResult, Scheduler } from './scheduler.js';
import { Borrower, type WorkerLending } from './worker-lending.js';

interface Pending {
  readonly request: ScheduledRequest;
  readonly rows: number;
  readonly key: string;
  readonly priority: number;
  readonly enqueuedAt: number;
  deadlineTimer?: NodeJS.Timeout;
  onAbort?: () => void;
  /** Set when the request goes back to the queue after its worker died: it is never retried again. */
  retried?: boolean;
  resolve(result: ScheduledResult): void;
  reject(error: unknown): void;
}

type RejectReason = 'queue_full' | 'deadline_exceeded' | 'cancelled';

export interface BatcherOptions {
  /** Ceiling on `instances` (maxInstancesPerModel): one model never occupies every worker thread. */
  readonly maxInstances?: number;
  /**
   * Called once when a batch ran past the version's execution timeout. The batcher has then answered that
   * batch EXECUTION_TIMEOUT and every queued request MODEL_NOT_READY, and takes no new work.
   */
  readonly onExecutionTimeout?: (reason: string) => void;
  /**
   * Worker lending (worker-lending.ts): beyond `maxInstances`, the version may borrow a thread that is idle
   * while no other version has requests waiting. Absent: never beyond `maxInstances`.
   */
  readonly lending?: { readonly registry: WorkerLending; readonly idleWorkers: () => number };
}

/**
 * Triton's dynamic batcher with its queue policy, one per model version.
 *
 * - At most `instances` batches of this model execute at once (more only on threads lent to it while idle:
 *   worker-lending.ts); the rest wait in one FIFO per priority
 *   level. A free instance serves the highest level first (1 = STAT), and batches its oldest request with
 *   later queued requests of the same level and the same non-batch shapes, up to `maxBatchSize` rows and
 *   (without a queue delay) an even share of the queue per instance.
 *   Without a queue delay, `preferredBatchSizes` cap that: the largest preferred size that fits is taken.
 *   With maxBatchSize <= 1 every batch is one request: no batching is the same code path.
 * - With `maxQueueDelayMs` > 0 a batch smaller than the max (or a preferred size) waits for company until
 *   its oldest request has waited that long. The default is 0: only requests that queue behind busy
 *   instances are merged, so batching never adds latency.
 * - A request whose timeout passes while queued is answered DEADLINE_EXCEEDED and never executed; one
 *   whose client went away is dropped. Neither is retried.
 * - The queue holds at most `maxQueueSize` requests: past it QUEUE_FULL (429 with Retry-After) at once,
 *   except that a request may displace the newest queued request of a lower priority level.
 * - A batch whose worker thread died (WORKER_EXITED) is not answered with that error at once: each of its
 *   requests goes back to the front of its queue and runs once more, alone (if one request is what kills
 *   workers, it takes no other request with it), on whichever worker is free next (piscina has started a
 *   replacement). A request whose retry dies too is answered WORKER_EXITED. Inference has no side
 *   effects, so running a request twice is safe. The retry is not subject to the queue deadline again
 *   (the request already started once); a client that went away meanwhile is dropped.
 *
 * Contract: every enqueued request settles exactly once.
 */
export class DynamicBatcher implements Scheduler {
  readonly #levels: Pending[][] = Array.from({ length: PRIORITY_LEVELS }, () => []);
  readonly #model: ModelConfig;
  readonly #spec: SessionSpec;
  readonly #backend: InferenceBackend;
  readonly #metrics: Metrics;
  readonly #labels: { model: string; version: string };
  /** Batches of this version that may execute at once: the model's instances within the server's cap. */
  readonly #instances: number;
  readonly #onExecutionTimeout: ((reason: string) => void) | undefined;
  #queued = 0;
  #executing = 0;
  #inflight = 0;
  #stopped = false;
  /** Set once a batch ran past the execution timeout: the batcher then refuses all work. */
  #timeoutReason: string | undefined;
  #drained: (() => void) | undefined;
  #delayTimer: NodeJS.Timeout | undefined;
  readonly #borrower: Borrower | undefined;
  /** When each executing batch started (performance.now()), oldest first. */
  readonly #runningSince: number[] = [];
  /** Moving averages for the Retry-After estimate. */
  #batchSeconds = 0.01;
  #batchRows = 1;

  constructor(model: ModelConfig, spec: SessionSpec, backend: InferenceBackend, metrics: Metrics, options: BatcherOptions = {}) {
    this.#model = model;
    this.#instances = Math.max(1, Math.min(model.instances, options.maxInstances ?? model.instances));
    this.#onExecutionTimeout = options.onExecutionTimeout;
    this.#spec = spec;
    this.#backend = backend;
    this.#metrics = metrics;
    this.#labels = { model: model.name, version: model.version };
    this.#borrower = options.lending && new Borrower(options.lending.registry, this, options.lending.idleWorkers, model.maxBatchSize > 1);
  }

  get inflightCount(): number {
    return this.#inflight;
  }

  /** Requests waiting for an instance (not yet executing). */
  get queuedCount(): number {
    return this.#queued;
  }

  enqueue(request: ScheduledRequest): Promise<ScheduledResult> {
    if (this.#stopped) {
      const state = this.#timeoutReason ? `UNAVAILABLE: ${this.#timeoutReason}` : 'unloading';
      return Promise.reject(new ClinferError('MODEL_NOT_READY', `model '${this.#model.name}' version ${this.#model.version} is ${state}`));
    }
    if (request.signal?.aborted) return Promise.reject(this.#rejection('cancelled'));
    const level = Math.min(Math.max(request.priority, 1), PRIORITY_LEVELS);
    if (this.#queued >= this.#model.scheduling.maxQueueSize && !this.#displaceLowerThan(level)) {
      return Promise.reject(this.#rejection('queue_full'));
    }
    return new Promise<ScheduledResult>((resolve, reject) => {
      const entry: Pending = {
        request, priority: level,
        rows: this.#model.maxBatchSize > 1 ? request.inputs[0]!.shape[0]! : 1,
        key: batchKey(request.inputs, request.fetches),
        enqueuedAt: performance.now(),
        resolve: (r) => { this.#settle(); resolve(r); },
        reject: (e) => { this.#settle(); reject(e); },
      };
      const timeoutMs = request.timeoutMs ?? (this.#model.scheduling.defaultTimeoutMs || undefined);
      if (timeoutMs !== undefined) {
        entry.deadlineTimer = setTimeout(() => this.#drop(entry, 'deadline_exceeded'), timeoutMs);
      }
      if (request.signal) {
        entry.onAbort = () => this.#drop(entry, 'cancelled');
        request.signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#inflight++;
      this.#queued++;
      this.#metrics.pending.inc(this.#labels);
      this.#levels[level - 1]!.push(entry);
      this.#dispatch();
    });
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#borrower?.leave();
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => { this.#drained = resolve; });
  }

  #settle(): void {
    this.#inflight--;
    this.#metrics.pending.dec(this.#labels);
    if (this.#inflight === 0) this.#drained?.();
  }

  #rejection(reason: RejectReason): ClinferError {
    this.#metrics.rejections.inc({ ...this.#labels, reason });
    const what = `model '${this.#model.name}' version ${this.#model.version}`;
    switch (reason) {
      case 'queue_full': {
        const batchesAhead = Math.max(1, this.#queued / Math.max(1, this.#batchRows)) / this.#instances;
        const retryAfterSeconds = Math.max(1, Math.ceil(batchesAhead * this.#batchSeconds));
        return new ClinferError('QUEUE_FULL', `${what}: ${this.#queued} requests are queued (max_queue_size ${this.#model.scheduling.maxQueueSize}); retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      case 'deadline_exceeded':
        return new ClinferError('DEADLINE_EXCEEDED', `${what}: the request's timeout passed while it was queued; it was not executed`);
      case 'cancelled':
        return new ClinferError('REQUEST_CANCELLED', `${what}: the client closed the connection while the request was queued; it was not executed`);
    }
  }

  /** Removes a still-queued request and answers it; a request already executing runs to completion. */
  #drop(entry: Pending, reason: RejectReason): void {
    const queue = this.#levels[entry.priority - 1]!;
    const at = queue.indexOf(entry);
    if (at < 0) return;
    queue.splice(at, 1);
    this.#queued--;
    this.#release(entry);
    entry.reject(this.#rejection(reason));
  }

  /** Queue full: a request may take the place of the newest queued one of a lower level (larger number). */
  #displaceLowerThan(level: number): boolean {
    for (let lower = PRIORITY_LEVELS; lower > level; lower--) {
      const victim = this.#levels[lower - 1]!.at(-1);
      if (victim) {
        this.#drop(victim, 'queue_full');
        return true;
      }
    }
    return false;
  }

  #release(entry: Pending): void {
    clearTimeout(entry.deadlineTimer);
    if (entry.onAbort) entry.request.signal?.removeEventListener('abort', entry.onAbort);
  }

  #dispatch(): void {
    clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    while (this.#queued > 0) {
      const lent = this.#executing >= this.#instances;
      if (lent && !this.#borrower?.mayBorrow(performance.now(), this.#runningSince[0], this.#batchSeconds * 1000)) return;
      const queue = this.#levels.find((q) => q.length > 0)!;
      // A request that runs again (its worker died) runs on the version's own share, never on a lent thread.
      if (lent && queue[0]!.retried) return;
      const batch = this.#gather(queue);
      const waitMs = this.#delayRemaining(batch);
      if (waitMs > 0) {
        this.#delayTimer = setTimeout(() => this.#dispatch(), waitMs);
        return;
      }
      for (const p of batch) queue.splice(queue.indexOf(p), 1);
      this.#queued -= batch.length;
      this.#executing++;
      const since = performance.now();
      this.#runningSince.push(since);
      void this.#execute(batch, lent).finally(() => {
        this.#executing--;
        this.#runningSince.splice(this.#runningSince.indexOf(since), 1);
        this.#dispatch();
      });
    }
  }

  /**
   * The oldest request of the queue plus later compatible ones, in arrival order, within maxBatchSize rows
   * and within an even share of the queue per instance: one instance that frees up first must not take
   * the whole queue while the next one, free a moment later, finds nothing (a long tail for heavy models).
   */
  #gather(queue: Pending[]): Pending[] {
    const first = queue[0]!;
    const batch = [first];
    // A retried request runs alone, and no batch takes one in.
    if (this.#model.maxBatchSize > 1 && !first.retried) {
      // With a queue delay the bundle asks for full batches; without one, share the queue out.
      const compatibleRows = queue.reduce((n, p) => (p.key === first.key ? n + p.rows : n), 0);
      // Threads that could be lent count as instances: the queue is shared out over them too.
      const instances = this.#instances + (this.#borrower?.lendable(performance.now(), this.#batchSeconds * 1000) ?? 0);
      const share = this.#model.scheduling.maxQueueDelayMs > 0 ? Number.POSITIVE_INFINITY : Math.ceil(compatibleRows / instances);
      const limit = this.#preferredLimit(Math.min(this.#model.maxBatchSize, Math.max(first.rows, share)), first.rows);
      let rows = first.rows;
      for (let i = 1; i < queue.length && rows < limit; i++) {
        const candidate = queue[i]!;
        if (candidate.key === first.key && !candidate.retried && rows + candidate.rows <= limit) {
          batch.push(candidate);
          rows += candidate.rows;
        }
      }
    }
    return batch;
  }

  /**
   * Without a queue delay, preferred batch sizes are the batches a free instance takes when more is queued:
   * the largest preferred size within `limit` (and not below the oldest request's rows). A model whose
   * per-row cost grows with the batch (caches overflow: measured for the PaddleOCR classifier, 0.87 ms per
   * image at batch 4 against 1.29 at 16) serves more when it runs the batch it runs best. With a delay they
   * keep their meaning of "full enough to dispatch" (#delayRemaining).
   */
  #preferredLimit(limit: number, firstRows: number): number {
    const { maxQueueDelayMs, preferredBatchSizes } = this.#model.scheduling;
    if (maxQueueDelayMs > 0 || preferredBatchSizes.length === 0) return limit;
    let best = 0;
    for (const size of preferredBatchSizes) if (size <= limit && size >= firstRows) best = Math.max(best, size);
    return best > 0 ? best : limit;
  }

  /** How much longer a batch should wait for company (0: dispatch now). */
  #delayRemaining(batch: Pending[]): number {
    const { maxQueueDelayMs, preferredBatchSizes } = this.#model.scheduling;
    if (maxQueueDelayMs <= 0 || this.#model.maxBatchSize <= 1 || batch[0]!.retried) return 0;
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    const full = rows >= this.#model.maxBatchSize || preferredBatchSizes.includes(rows) || (preferredBatchSizes.length > 0 && rows >= preferredBatchSizes.at(-1)!);
    if (full) return 0;
    return Math.max(0, batch[0]!.enqueuedAt + maxQueueDelayMs - performance.now());
  }

  async #execute(batch: Pending[], lent: boolean): Promise<void> {
    const started = performance.now();
    for (const p of batch) {
      this.#release(p);
      // Once per request: a retry's second start is not a second wait in the queue.
      if (!p.retried) {
        this.#metrics.queueDuration.observe(this.#labels, (started - p.enqueuedAt) / 1000);
        this.#metrics.stats.queued(this.#labels.model, this.#labels.version, (started - p.enqueuedAt) / 1000);
      }
    }
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    this.#metrics.batchSize.observe(this.#labels, rows);
    try {
      const first = batch[0]!.request;
      const inputs = batch.length === 1
        ? first.inputs
        : first.inputs.map((input) => concatBatch(batch.map((p) => p.request.inputs.find((t) => t.name === input.name)!)));
      // A merged batch is a fresh copy; a lone request's own buffers would be transferred to the worker,
      // so while it may still be retried it sends a copy.
      const preserveInputs = batch.length === 1 && !batch[0]!.retried;
      const lentLimitMs = lent ? this.#borrower!.limitMs(this.#batchSeconds * 1000) : undefined;
      if (lent) this.#metrics.lentBatches.inc(this.#labels);
      const { outputs, computeSeconds } = await this.#backend.infer(this.#spec, inputs, first.fetches, { preserveInputs, ...(lentLimitMs !== undefined ? { lentLimitMs } : {}) });
      this.#borrower?.completed();
      this.#metrics.computeDuration.observe(this.#labels, computeSeconds);
      this.#metrics.stats.executed(this.#labels.model, this.#labels.version, batch.length, rows, computeSeconds);
      this.#batchSeconds = 0.8 * this.#batchSeconds + 0.2 * computeSeconds;
      this.#batchRows = 0.8 * this.#batchRows + 0.2 * batch.length;
      const perRequest = this.#split(outputs, batch, rows);
      batch.forEach((p, i) => p.resolve({
        outputs: perRequest[i]!, batchSize: rows, computeSeconds,
        queueSeconds: (started - p.enqueuedAt) / 1000,
      }));
    } catch (error) {
      if (error instanceof ClinferError && (error.code === 'WORKER_EXITED' || error.code === 'EXECUTION_TIMEOUT')) this.#borrower?.failed(performance.now());
      if (error instanceof ClinferError && error.code === 'WORKER_EXITED') this.#retry(batch, error);
      else if (error instanceof ClinferError && error.code === 'EXECUTION_TIMEOUT') this.#timedOut(batch, error);
      else for (const p of batch) p.reject(error);
    }
  }

  /** A batch ran past the execution timeout: this version is done serving until it is loaded again. */
  #timedOut(batch: Pending[], error: ClinferError): void {
    const what = `model '${this.#model.name}' version ${this.#model.version}`;
    const reason = `an execution ran past the execution timeout of ${this.#spec.executionTimeoutMs} ms (bundle execution.timeout_ms or executionTimeoutMs) and was abandoned`;
    for (const p of batch) p.reject(new ClinferError('EXECUTION_TIMEOUT', `${what}: ${reason}; the version is now UNAVAILABLE`, { cause: error }));
    if (this.#timeoutReason) return;
    this.#stopped = true;
    this.#timeoutReason = reason;
    for (const queue of this.#levels) {
      for (const p of queue.splice(0)) {
        this.#queued--;
        this.#release(p);
        p.reject(new ClinferError('MODEL_NOT_READY', `${what} is UNAVAILABLE: ${reason}; the request was not executed`));
      }
    }
    this.#onExecutionTimeout?.(reason);
  }

  /** The worker running `batch` died: each request not yet retried goes back to the front of its queue. */
  #retry(batch: Pending[], error: ClinferError): void {
    const again: Pending[] = [];
    for (const p of batch) {
      if (p.retried) {
        p.reject(new ClinferError('WORKER_EXITED', `model '${this.#model.name}' version ${this.#model.version}: the worker thread running this request exited, and so did the one its retry ran on; it is not retried again (the request itself may be what stops the worker)`, { cause: error }));
      } else if (p.request.signal?.aborted) {
        p.reject(this.#rejection('cancelled'));
      } else {
        p.retried = true;
        again.push(p);
      }
    }
    // Unshifted last to first: the batch keeps its order at the head of each queue. #execute's caller
    // dispatches again as soon as this returns.
    for (const p of again.reverse()) {
      this.#levels[p.priority - 1]!.unshift(p);
      this.#queued++;
      if (p.onAbort) p.request.signal?.addEventListener('abort', p.onAbort, { once: true });
    }
  }

  #split(outputs: Tensor[], batch: Pending[], rows: number): Tensor[][] {
    if (batch.length === 1) return [outputs];
    const byRequest: Tensor[][] = batch.map(() => []);
    for (const output of outputs) {
      if (output.shape[0] !== rows) {
        throw new ClinferError('INFERENCE_FAILED', `output '${output.name}' has ${output.shape[0]} rows for a batch of ${rows}: the model does not batch along dimension 0`);
      }
      splitBatch(output, batch.map((p) => p.rows)).forEach((part, i) => byRequest[i]!.push(part));
    }
    return byRequest;
  }
}
