import { ClinferError } from '../errors/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ModelConfig } from '../model/model-config.js';
import type { SessionSpec } from '../pool/messages.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchKey, concatBatch, splitBatch } from './batch-tensors.js';
import type { ScheduledRequest, ScheduledResult, Scheduler } from './scheduler.js';

interface Pending {
  readonly request: ScheduledRequest;
  readonly rows: number;
  readonly key: string;
  readonly enqueuedAt: number;
  resolve(result: ScheduledResult): void;
  reject(error: unknown): void;
  onAbort?: () => void;
}

/**
 * Triton's dynamic batcher, without added delay: at most `instances` batches execute at once; while
 * they do, requests queue, and the next free instance takes the oldest request together with every
 * later queued request that has the same non-batch shapes, up to `maxBatchSize` rows.
 * With maxBatchSize <= 1 each batch is one request: the no-batching mode is the same code path.
 */
export class DynamicBatcher implements Scheduler {
  readonly #queue: Pending[] = [];
  readonly #model: ModelConfig;
  readonly #spec: SessionSpec;
  readonly #pool: WorkerPool;
  readonly #metrics: Metrics;
  readonly #labels: { model: string; version: string };
  #executing = 0;
  #inflight = 0;
  #stopped = false;
  #drained: (() => void) | undefined;

  constructor(model: ModelConfig, spec: SessionSpec, pool: WorkerPool, metrics: Metrics) {
    this.#model = model;
    this.#spec = spec;
    this.#pool = pool;
    this.#metrics = metrics;
    this.#labels = { model: model.name, version: model.version };
  }

  get inflightCount(): number {
    return this.#inflight;
  }

  enqueue(request: ScheduledRequest): Promise<ScheduledResult> {
    if (this.#stopped) {
      return Promise.reject(new ClinferError('MODEL_NOT_READY', `model '${this.#model.name}' version ${this.#model.version} is unloading`));
    }
    if (request.signal?.aborted) return Promise.reject(abortError());
    return new Promise<ScheduledResult>((resolve, reject) => {
      const rows = this.#model.maxBatchSize > 1 ? request.inputs[0]!.shape[0]! : 1;
      const entry: Pending = {
        request, rows, key: batchKey(request.inputs, request.fetches), enqueuedAt: performance.now(),
        resolve: (r) => { this.#settle(); resolve(r); },
        reject: (e) => { this.#settle(); reject(e); },
      };
      if (request.signal) {
        entry.onAbort = () => this.#cancel(entry);
        request.signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#inflight++;
      this.#metrics.pending.inc(this.#labels);
      this.#queue.push(entry);
      this.#dispatch();
    });
  }

  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => { this.#drained = resolve; });
  }

  #settle(): void {
    this.#inflight--;
    this.#metrics.pending.dec(this.#labels);
    if (this.#inflight === 0) this.#drained?.();
  }

  #cancel(entry: Pending): void {
    const at = this.#queue.indexOf(entry);
    if (at < 0) return; // already executing: it runs to completion
    this.#queue.splice(at, 1);
    entry.reject(abortError());
  }

  #dispatch(): void {
    while (this.#executing < this.#model.instances && this.#queue.length > 0) {
      const batch = this.#takeBatch();
      this.#executing++;
      void this.#execute(batch).finally(() => {
        this.#executing--;
        this.#dispatch();
      });
    }
  }

  /** The oldest request plus later compatible ones, in arrival order, within maxBatchSize rows. */
  #takeBatch(): Pending[] {
    const first = this.#queue.shift()!;
    const batch = [first];
    if (this.#model.maxBatchSize > 1) {
      let rows = first.rows;
      for (let i = 0; i < this.#queue.length && rows < this.#model.maxBatchSize; ) {
        const candidate = this.#queue[i]!;
        if (candidate.key === first.key && rows + candidate.rows <= this.#model.maxBatchSize) {
          this.#queue.splice(i, 1);
          batch.push(candidate);
          rows += candidate.rows;
        } else {
          i++;
        }
      }
    }
    return batch;
  }

  async #execute(batch: Pending[]): Promise<void> {
    const started = performance.now();
    for (const p of batch) {
      if (p.onAbort) p.request.signal?.removeEventListener('abort', p.onAbort);
      this.#metrics.queueDuration.observe(this.#labels, (started - p.enqueuedAt) / 1000);
    }
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    this.#metrics.batchSize.observe(this.#labels, rows);
    try {
      const first = batch[0]!.request;
      const inputs = batch.length === 1
        ? first.inputs
        : first.inputs.map((input) => concatBatch(batch.map((p) => p.request.inputs.find((t) => t.name === input.name)!)));
      const { outputs, computeSeconds } = await this.#pool.infer(this.#spec, inputs, first.fetches);
      this.#metrics.computeDuration.observe(this.#labels, computeSeconds);
      const perRequest = this.#split(outputs, batch, rows);
      batch.forEach((p, i) => p.resolve({
        outputs: perRequest[i]!, batchSize: rows, computeSeconds,
        queueSeconds: (started - p.enqueuedAt) / 1000,
      }));
    } catch (error) {
      for (const p of batch) p.reject(error);
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

function abortError(): ClinferError {
  return new ClinferError('INVALID_REQUEST', 'the client closed the connection before the request ran');
}
