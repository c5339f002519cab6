import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { ClinferError } from '../errors/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { TestFaults } from './fault-hook.js';
import type { InferResult, LoadResult, SessionSpec, Task } from './messages.js';
import { fromWire, toWire } from './wire.js';

export interface PoolInferResult {
  readonly outputs: Tensor[];
  readonly computeSeconds: number;
}

export interface WorkerPoolOptions {
  readonly workers: number;
  /** Old-generation heap cap per worker thread, in MiB (Node's default when absent). */
  readonly maxHeapMb?: number | undefined;
  /** Called each time a worker thread dies (piscina has already started its replacement). */
  readonly onWorkerExit?: ((event: WorkerExitEvent) => void) | undefined;
}

export interface WorkerExitEvent {
  readonly threadId: number;
  /** Worker deaths since the pool started, this one included. */
  readonly exits: number;
}

export interface InferOptions {
  /**
   * Send copies of the input buffers, so that the caller's tensors stay usable (to retry the batch if
   * its worker dies). Without it the buffers are transferred and the caller must not touch them.
   */
  readonly preserveInputs?: boolean;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/**
 * The main-thread face of the worker threads. Any worker can run any model (sessions are created on
 * first use); `load` and `unload` are broadcast so every worker holds a warm session before READY.
 */
export class WorkerPool {
  readonly #piscina: Piscina;
  readonly #size: number;
  #closed = false;
  #broadcastChain: Promise<unknown> = Promise.resolve();
  /** Test-only fault injection (fault-hook.ts); undefined unless armed in a test process. */
  readonly #faults = TestFaults.fromEnv();
  /** Thread ids of the workers that have started and not (yet) died. */
  readonly #live = new Set<number>();
  #exits = 0;

  constructor(options: WorkerPoolOptions) {
    // Workers copy the environment when they start: no ONNX Runtime telemetry from any of them.
    process.env.ORT_DISABLE_TELEMETRY ??= '1';
    this.#size = options.workers;
    this.#piscina = new Piscina({
      filename: fileURLToPath(WORKER_URL),
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      ...(options.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb } } : {}),
      // The worker is TypeScript: each thread registers tsx before loading it.
      execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href],
    });
    // A worker that dies is replaced by piscina (minThreads); its tasks are rejected with an error that
    // translateWorkerError maps to WORKER_EXITED, which the scheduler retries once.
    this.#piscina.on('error', () => undefined);
    this.#piscina.on('workerCreate', (worker: { id: number }) => this.#live.add(worker.id));
    this.#piscina.on('workerDestroy', () => {
      // A thread that has exited reports threadId -1: the dead one is the started one piscina no longer lists.
      const listed = new Set(this.#piscina.threads.map((t) => t.threadId));
      const gone = [...this.#live].filter((id) => !listed.has(id));
      for (const id of gone) this.#live.delete(id);
      if (this.#closed) return;
      this.#exits++;
      options.onWorkerExit?.({ threadId: gone[0] ?? -1, exits: this.#exits });
    });
  }

  get size(): number {
    return this.#size;
  }

  /** The worker threads, started or starting (tests use this to kill one). */
  get threads() {
    return this.#piscina.threads;
  }

  /** Worker threads that have started and are serving (a replacement counts once it is up). */
  get liveWorkers(): number {
    return this.#live.size;
  }

  /** Worker threads that died since the pool started (not counting those stopped by close). */
  get workerExits(): number {
    return this.#exits;
  }

  /** Creates and warms the session on every worker; resolves with each worker's report. */
  async load(spec: SessionSpec): Promise<LoadResult[]> {
    return this.#broadcast({ kind: 'load', spec, barrier: this.#barrier() }) as Promise<LoadResult[]>;
  }

  async unload(key: string): Promise<void> {
    if (this.#closed) return;
    await this.#broadcast({ kind: 'unload', key, barrier: this.#barrier() });
  }

  /**
   * Runs one batch. Input buffers are transferred to the worker (the caller must not touch them after)
   * unless `preserveInputs`. A worker that dies holding the batch rejects it with WORKER_EXITED.
   */
  async infer(spec: SessionSpec, inputs: readonly Tensor[], fetches: readonly string[], options: InferOptions = {}): Promise<PoolInferResult> {
    if (this.#closed) throw new ClinferError('SERVER_SHUTTING_DOWN', 'the server is shutting down');
    const feeds = inputs.map(toWire).map((f) => (options.preserveInputs && !Array.isArray(f.data) ? { ...f, data: f.data.slice() } : f));
    const transferList = feeds.flatMap((f) => (Array.isArray(f.data) ? [] : [f.data.buffer as ArrayBuffer]));
    const fault = this.#faults?.next(spec);
    const task: Task = { kind: 'infer', spec, feeds, fetches: [...fetches], ...(fault ? { fault } : {}) };
    let result: InferResult;
    try {
      result = (await this.#piscina.run(task, { transferList })) as InferResult;
    } catch (error) {
      throw translateWorkerError(error);
    }
    return { outputs: result.outputs.map(fromWire), computeSeconds: result.computeMs / 1000 };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#piscina.close({ force: true });
  }

  #barrier() {
    return { counter: new SharedArrayBuffer(4), workers: this.#size };
  }

  /** Broadcasts run one at a time: two interleaved barriers could each hold half the workers. */
  #broadcast(task: Task): Promise<unknown[]> {
    const run = this.#broadcastChain.then(() => this.#broadcastNow(task));
    this.#broadcastChain = run.catch(() => undefined);
    return run;
  }

  async #broadcastNow(task: Task): Promise<unknown[]> {
    const runs = Array.from({ length: this.#size }, () => this.#piscina.run(task));
    const settled = await Promise.allSettled(runs);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw translateWorkerError(failed.reason);
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
  }
}

function translateWorkerError(error: unknown): Error {
  if (error instanceof ClinferError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/terminated|exited|worker.*(exit|died)/i.test(message)) {
    return new ClinferError('WORKER_EXITED', 'the worker thread running this request exited; retry the request', { cause: error });
  }
  if (error instanceof Error && error.name === 'AbortError') return error;
  return new ClinferError('INFERENCE_FAILED', `ONNX Runtime failed: ${message.split('\n')[0]!.slice(0, 300)}`, { cause: error });
}
