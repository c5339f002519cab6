/*
 * Why this pool is built as it is: measured with onnxruntime-node 1.30, Node 20, piscina 5.3 (issue 13;
 * docs/isolation.md has the user-facing account):
 * (a) RunOptions.terminate is typed but does nothing: a run started with terminate: true ran to the end, and
 *     session.run blocks its thread synchronously, so nothing on that thread could set it meanwhile.
 * (b) worker.terminate() (piscina's destroy / close({force})) on a thread inside a run: a never-ending run
 *     keeps spinning and terminate() never resolves; a run that ends later ABORTS the process on return
 *     ("terminate called after throwing an instance of 'Napi::Error'", SIGABRT).
 * (c) process.exit() (or the event loop ending) with such a thread hangs for ever (Node joins its threads);
 *     a signal's default action does not: SIGTERM with no handler ends the process at once (hard-exit.ts).
 * (d) fork + SIGKILL stops a process inside a run in ~14 ms; starting one that loads a model costs ~0.5-1 s.
 * Hence: a stuck thread is never terminated, only abandoned (unref'ed, replaced, counted), loads go first
 * through a killable child process (load-probe.ts), and shutdown with a stuck thread exits by signal.
 * Per request this pool adds nothing to piscina's cost (one postMessage each way, no timer per request):
 * pool round trips measured 108-276 µs (new) against 126-302 µs (piscina) on the busy 2-core machine,
 * the same within noise.
 */
import { ClinferError } from '../errors/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { moduleExecArgv, RUNS_COMPILED, siblingModule } from '../util/own-files.js';
import { TestFaults } from './fault-hook.js';
import type { InferResult, LoadResult, SessionSpec, Task } from './messages.js';
import { fromWire, handOver, toWire } from './wire.js';
import { WorkerTaskError, WorkerThread, WorkerThreadExit } from './worker-thread.js';

export interface PoolInferResult {
  readonly outputs: Tensor[];
  readonly computeSeconds: number;
}

export interface WorkerPoolOptions {
  readonly workers: number;
  /** Old-generation heap cap per worker thread, in MiB (Node's default when absent). */
  readonly maxHeapMb?: number | undefined;
  /** Called each time a worker thread dies (its replacement is already starting). */
  readonly onWorkerExit?: ((event: WorkerExitEvent) => void) | undefined;
  /** Called each time the watchdog gives a stuck worker thread up (its replacement is already starting). */
  readonly onWorkerAbandoned?: ((event: WorkerAbandonedEvent) => void) | undefined;
  /** Called when an abandoned thread's run finally returned and the thread ended (its core is free again). */
  readonly onStuckThreadEnded?: ((stuck: number) => void) | undefined;
}

export interface WorkerExitEvent {
  readonly threadId: number;
  /** Worker deaths since the pool started, this one included. */
  readonly exits: number;
}

export interface WorkerAbandonedEvent {
  readonly threadId: number;
  /** Model version key (SessionSpec.key) of the task that ran past its limit. */
  readonly key: string;
  readonly task: 'infer' | 'load' | 'unload';
  readonly limitMs: number;
  /** Abandoned threads still running (each holds a core until its run returns or the process ends). */
  readonly stuck: number;
}

export interface InferOptions {
  /**
   * Send copies of the input buffers, so that the caller's tensors stay usable (to retry the batch if
   * its worker dies). Without it the buffers are transferred and the caller must not touch them.
   */
  readonly preserveInputs?: boolean;
  /**
   * A limit below the version's executionTimeoutMs for this batch: the batch runs on a thread lent to its
   * model (runtime/scheduler/worker-lending.ts). Past it the thread is given up and replaced like a timed-out
   * one, and the batch is answered WORKER_EXITED (retryable: the batcher runs it again on the model's own
   * share), not EXECUTION_TIMEOUT.
   */
  readonly lentLimitMs?: number;
}

interface Queued {
  readonly task: Task;
  readonly transfer: ArrayBuffer[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

// Compiled, the thread starts on worker-entry.js; from source, on a CommonJS file that requires the TypeScript
// entry through tsx (worker-bootstrap.cjs says why).
const WORKER_ENTRY = RUNS_COMPILED ? siblingModule(import.meta.url, 'worker-entry') : new URL('./worker-bootstrap.cjs', import.meta.url);
/** How often the watchdog looks at what each thread runs: its precision, at no cost per request. */
const WATCHDOG_INTERVAL_MS = 100;
/** Releasing a session takes milliseconds; a thread stuck this long in an unload is given up. */
const UNLOAD_LIMIT_MS = 30_000;

/**
 * The main-thread face of the inference worker threads (our own small pool: piscina cannot give a thread
 * up without terminating it, and terminating a thread inside ONNX Runtime aborts the process).
 *
 * - Any thread can run any model (sessions are created on first use from the verified bytes); `load`
 *   warms the session on every thread, `unload` frees it. Inference batches wait in one FIFO and go to
 *   the first idle thread.
 * - Isolation: a watchdog (one timer, every 100 ms; nothing per request) gives up a thread whose running
 *   task is past its limit (the version's `executionTimeoutMs`, or the load's timeout): the task's caller
 *   gets EXECUTION_TIMEOUT, the tasks queued behind it on that thread WORKER_EXITED (retryable, they never
 *   ran), a replacement thread starts at once, and `onWorkerAbandoned` reports it. The abandoned thread
 *   keeps its core until its run returns (then it ends itself) or the process ends; see docs/isolation.md.
 * - A thread that dies (crash, heap limit) rejects its tasks with WORKER_EXITED and is replaced.
 */
export class WorkerPool {
  readonly #size: number;
  readonly #options: WorkerPoolOptions;
  readonly #threads = new Set<WorkerThread>();
  readonly #abandoned = new Set<WorkerThread>();
  readonly #queue: Queued[] = [];
  /** Load tasks carry their own limit (the load timeout), kept beside the task. */
  readonly #loadLimits = new WeakMap<Task, number>();
  /** Batches on a lent thread carry a tighter limit (InferOptions.lentLimitMs). */
  readonly #lentLimits = new WeakMap<Task, number>();
  readonly #watchdog: NodeJS.Timeout;
  readonly #execArgv: string[];
  #closed = false;
  /** Test-only fault injection (fault-hook.ts); undefined unless armed in a test process. */
  readonly #faults = TestFaults.fromEnv();
  #exits = 0;
  #abandonedTotal = 0;

  /**
   * ONNX Runtime reads ORT_DISABLE_TELEMETRY natively from the process environment: the CLI entry
   * (bin/clinfer.mjs) and the images set it once, before anything starts; nothing here writes process.env
   * (a worker's `env` option would not reach native code).
   */
  constructor(options: WorkerPoolOptions) {
    this.#size = options.workers;
    this.#options = options;
    // From source, each thread registers tsx before loading its entry; compiled, nothing.
    this.#execArgv = moduleExecArgv();
    for (let i = 0; i < this.#size; i++) this.#spawn();
    this.#watchdog = setInterval(() => this.#watch(), WATCHDOG_INTERVAL_MS);
    this.#watchdog.unref();
  }

  get size(): number {
    return this.#size;
  }

  /** The worker threads in service, started or starting (tests use this to kill one). */
  get threads() {
    return [...this.#threads].map((t) => t.worker);
  }

  /** Worker threads that have started and are serving (a replacement counts once it is up). */
  /** Threads with nothing to run and no batch waiting for one: what a model may be lent. */
  get idleWorkers(): number {
    let idle = 0;
    for (const thread of this.#threads) if (thread.idle) idle++;
    return Math.max(0, idle - this.#queue.length);
  }

  get liveWorkers(): number {
    return [...this.#threads].filter((t) => t.serving).length;
  }

  /** Worker threads that died since the pool started (not counting those stopped by close). */
  get workerExits(): number {
    return this.#exits;
  }

  /** Threads given up by the watchdog (or at close) whose run has not returned: each holds a core. */
  get stuckThreads(): number {
    return this.#abandoned.size;
  }

  /** Threads given up by the watchdog since the pool started. */
  get abandonedTotal(): number {
    return this.#abandonedTotal;
  }

  /**
   * Creates and warms the session on every thread; resolves with each thread's report. A thread still
   * busy with it after `timeoutMs` is given up (and replaced), and the load fails.
   */
  async load(spec: SessionSpec, timeoutMs: number): Promise<LoadResult[]> {
    if (this.#closed) throw new ClinferError('SERVER_SHUTTING_DOWN', 'the server is shutting down');
    const task: Task = { kind: 'load', spec };
    this.#loadLimits.set(task, timeoutMs);
    const all = Promise.allSettled([...this.#threads].map((t) => t.post(task)));
    // The limit holds from now, also for a thread that first finishes another task (its own watchdog
    // limit counts from when the load starts running there); what is late is unloaded by the caller.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClinferError('BUNDLE_INVALID', `loading and warm-up took longer than ${timeoutMs} ms (loadTimeoutMs) in the worker threads`)), timeoutMs);
    });
    const settled = await Promise.race([all, late]).finally(() => clearTimeout(timer));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw translate(failed.reason);
    return settled.map((s) => (s as PromiseFulfilledResult<LoadResult>).value);
  }

  /** Frees the version's sessions on every thread (each after what it runs now). */
  async unload(key: string): Promise<void> {
    if (this.#closed) return;
    const task: Task = { kind: 'unload', key };
    await Promise.allSettled([...this.#threads].map((t) => t.post(task)));
  }

  /**
   * Runs one batch. Input buffers the tensors own whole are transferred to the worker (the caller must not
   * touch them after) unless `preserveInputs`; views are copied, shared memory is read in place (wire.ts).
   * A worker that dies holding the batch rejects it with WORKER_EXITED; one
   * past the version's execution timeout, with EXECUTION_TIMEOUT.
   */
  async infer(spec: SessionSpec, inputs: readonly Tensor[], fetches: readonly string[], options: InferOptions = {}): Promise<PoolInferResult> {
    if (this.#closed) throw new ClinferError('SERVER_SHUTTING_DOWN', 'the server is shutting down');
    const moved = new Set<ArrayBuffer>();
    const feeds = inputs.map(toWire);
    for (const f of feeds) if (!Array.isArray(f.data)) f.data = handOver(f.data, options.preserveInputs === true, moved);
    const transfer = [...moved];
    const fault = this.#faults?.next(spec);
    const task: Task = { kind: 'infer', spec, feeds, fetches: [...fetches], ...(fault ? { fault } : {}) };
    if (options.lentLimitMs !== undefined && options.lentLimitMs < spec.executionTimeoutMs) this.#lentLimits.set(task, options.lentLimitMs);
    let result: InferResult;
    try {
      result = (await new Promise((resolve, reject) => {
        this.#queue.push({ task, transfer, resolve, reject });
        this.#dispatch();
      })) as InferResult;
    } catch (error) {
      throw translate(error);
    }
    return { outputs: result.outputs.map(fromWire), computeSeconds: result.computeMs / 1000 };
  }

  /**
   * Stops the pool: queued batches and those still running are answered SERVER_SHUTTING_DOWN. Idle
   * threads are ended; a busy one cannot be (see WorkerThread) and is abandoned: `stuckThreads` then
   * tells the caller that the process must end hard (process.exit would wait for that thread).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    const shuttingDown = () => new ClinferError('SERVER_SHUTTING_DOWN', 'the server is shutting down; the request was abandoned');
    for (const q of this.#queue.splice(0)) q.reject(shuttingDown());
    const ending: Promise<void>[] = [];
    for (const t of this.#threads) {
      if (t.running) {
        t.abandon(shuttingDown);
        this.#abandoned.add(t);
      } else {
        ending.push(t.terminate());
      }
    }
    this.#threads.clear();
    await Promise.all(ending);
  }

  #spawn(): void {
    const thread = new WorkerThread({
      entry: WORKER_ENTRY,
      execArgv: this.#execArgv,
      resourceLimits: this.#options.maxHeapMb ? { maxOldGenerationSizeMb: this.#options.maxHeapMb } : undefined,
      onSettled: () => this.#dispatch(),
      onExit: (t) => this.#exited(t, t.everOnline),
    });
    this.#threads.add(thread);
  }

  #exited(thread: WorkerThread, everOnline: boolean): void {
    if (this.#abandoned.delete(thread)) {
      // An abandoned run returned and its thread ended itself: its core is free again.
      this.#options.onStuckThreadEnded?.(this.#abandoned.size);
      return;
    }
    if (!this.#threads.delete(thread) || this.#closed) return;
    this.#exits++;
    // A thread that died before it ever started (a broken install) is not respawned in a tight loop.
    if (everOnline) this.#spawn();
    else setTimeout(() => { if (!this.#closed) this.#spawn(); }, 1000).unref();
    this.#options.onWorkerExit?.({ threadId: thread.threadId, exits: this.#exits });
    this.#dispatch();
  }

  #dispatch(): void {
    if (this.#queue.length === 0) return;
    for (const thread of this.#threads) {
      if (!thread.idle) continue;
      const next = this.#queue.shift();
      if (!next) return;
      thread.post(next.task, next.transfer).then(next.resolve, next.reject);
    }
  }

  #watch(): void {
    const now = performance.now();
    for (const thread of this.#threads) {
      const running = thread.running;
      if (!running) continue;
      const { task } = running;
      const lentMs = this.#lentLimits.get(task);
      const limitMs = lentMs ?? (task.kind === 'infer' ? task.spec.executionTimeoutMs : task.kind === 'load' ? this.#loadLimits.get(task) ?? UNLOAD_LIMIT_MS : UNLOAD_LIMIT_MS);
      if (now - running.since > limitMs) this.#abandon(thread, task, limitMs, lentMs !== undefined);
    }
  }

  #abandon(thread: WorkerThread, stuck: Task, limitMs: number, lent = false): void {
    const key = stuck.kind === 'unload' ? stuck.key : stuck.spec.key;
    const what = stuck.kind === 'infer' ? 'execution' : stuck.kind;
    const timedOut = stuck.kind === 'load'
      ? new ClinferError('BUNDLE_INVALID', `loading and warm-up took longer than ${limitMs} ms (loadTimeoutMs) in a worker thread; the thread was given up and replaced`)
      : lent
        ? new ClinferError('WORKER_EXITED', `the execution ran past ${limitMs} ms on a worker thread lent to its model; the thread was given back to the other models (given up and replaced) and the batch may run again on the model's own share`)
        : new ClinferError('EXECUTION_TIMEOUT', `the ${what} ran past its limit of ${limitMs} ms; it was abandoned and its worker thread replaced`);
    thread.abandon((_task, running) => (running ? timedOut : new WorkerThreadExit(-1)));
    this.#threads.delete(thread);
    this.#abandoned.add(thread);
    this.#abandonedTotal++;
    this.#spawn();
    this.#options.onWorkerAbandoned?.({ threadId: thread.threadId, key, task: stuck.kind, limitMs, stuck: this.#abandoned.size });
  }
}

function translate(error: unknown): Error {
  if (error instanceof ClinferError) return error;
  if (error instanceof WorkerThreadExit) {
    return new ClinferError('WORKER_EXITED', 'the worker thread running this request exited; retry the request', { cause: error });
  }
  if (error instanceof WorkerTaskError && error.code === 'BUNDLE_INVALID') return new ClinferError('BUNDLE_INVALID', error.message, { cause: error });
  const message = error instanceof WorkerTaskError ? error.message : error instanceof Error ? error.message : String(error);
  return new ClinferError('INFERENCE_FAILED', `ONNX Runtime failed: ${message.split('\n')[0]!.slice(0, 300)}`, { cause: error });
}
