import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ReplyMessage, Task, WorkerErrorCode } from './messages.js';

/** The message a worker thread's death rejects its tasks with (the pool maps it to WORKER_EXITED). */
export class WorkerThreadExit extends Error {
  constructor(readonly exitCode: number) {
    super(`the worker thread exited (code ${exitCode})`);
  }
}

/** A failure the worker reported for one task (its message's first line). */
export class WorkerTaskError extends Error {
  /** Set where the worker found the bundle wrong (messages.ts WorkerErrorCode), not ONNX Runtime failing. */
  constructor(message: string, readonly code?: WorkerErrorCode) {
    super(message);
  }
}

interface InFlight {
  readonly id: number;
  readonly task: Task;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface WorkerThreadOptions {
  readonly entry: URL;
  readonly execArgv: string[];
  readonly resourceLimits?: ResourceLimits | undefined;
  /** Called once, when the thread has exited (after its tasks were rejected with WorkerThreadExit). */
  readonly onExit: (thread: WorkerThread, code: number) => void;
  /** Called each time a task settles (the thread may be free for more). */
  readonly onSettled: (thread: WorkerThread) => void;
}

/**
 * One inference worker thread, seen from the main thread. Tasks posted to it run one at a time in the
 * order posted (worker-entry.ts); `inFlight[0]` is the one running now.
 *
 * Contract: a thread is never terminated while it may be inside ONNX Runtime (in onnxruntime-node 1.30
 * that aborts the whole process when the run returns, or hangs for ever if it does not). A stuck thread
 * is `abandon`ed instead: its tasks are settled by the caller, the thread is unref'ed, and a flag on
 * shared memory makes it end itself as soon as its run returns to JavaScript, if it ever does.
 */
export class WorkerThread {
  readonly worker: Worker;
  readonly #options: WorkerThreadOptions;
  readonly #inFlight: InFlight[] = [];
  /** Int32Array(1) shared with the thread: 1 = abandoned, end at the next task boundary. */
  readonly #abandonFlag = new Int32Array(new SharedArrayBuffer(4));
  #nextId = 1;
  #exited = false;
  #abandoned = false;
  #online = false;
  #headStartedAt = 0;

  constructor(options: WorkerThreadOptions) {
    this.#options = options;
    this.worker = new Worker(options.entry, {
      execArgv: options.execArgv,
      workerData: { abandonFlag: this.#abandonFlag.buffer },
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    // An idle thread does not keep the process alive (as with piscina); one holding a task does.
    this.worker.unref();
    this.worker.on('online', () => {
      this.#online = true;
      options.onSettled(this);
    });
    this.worker.on('message', (reply: ReplyMessage) => this.#settle(reply));
    // An error event is followed by an exit event: the exit settles the tasks.
    this.worker.on('error', () => undefined);
    this.worker.on('exit', (code) => {
      this.#exited = true;
      const error = new WorkerThreadExit(code);
      for (const t of this.#inFlight.splice(0)) t.reject(error);
      options.onExit(this, code);
    });
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  /** Started, not exited, not abandoned, and nothing posted to it is unanswered. */
  get idle(): boolean {
    return this.#online && !this.#exited && !this.#abandoned && this.#inFlight.length === 0;
  }

  /** Has started (its entry runs) and is neither exited nor abandoned. */
  get serving(): boolean {
    return this.#online && this.usable;
  }

  /** Whether the thread ever started (its entry ran). */
  get everOnline(): boolean {
    return this.#online;
  }

  get usable(): boolean {
    return !this.#exited && !this.#abandoned;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The task running now, and since when (performance.now()); undefined when idle. */
  get running(): { task: Task; since: number } | undefined {
    const head = this.#inFlight[0];
    return head ? { task: head.task, since: this.#headStartedAt } : undefined;
  }

  post(task: Task, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (!this.usable) return Promise.reject(new WorkerThreadExit(-1));
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      if (this.#inFlight.length === 0) {
        this.#headStartedAt = performance.now();
        this.worker.ref();
      }
      this.#inFlight.push({ id, task, resolve, reject });
      this.worker.postMessage({ id, task }, transfer);
    });
  }

  /**
   * Gives the thread up: every unanswered task is rejected with `error(task, isRunning)`, the thread no
   * longer keeps the process alive, and it ends itself if its current run ever returns.
   */
  abandon(error: (task: Task, running: boolean) => Error): void {
    if (this.#abandoned || this.#exited) return;
    this.#abandoned = true;
    Atomics.store(this.#abandonFlag, 0, 1);
    this.worker.unref();
    this.#inFlight.splice(0).forEach((t, i) => t.reject(error(t.task, i === 0)));
  }

  /** Ends an idle thread (safe: it is not inside ONNX Runtime). */
  async terminate(): Promise<void> {
    if (this.#exited) return;
    await this.worker.terminate();
  }

  #settle(reply: ReplyMessage): void {
    const at = this.#inFlight.findIndex((t) => t.id === reply.id);
    if (at < 0) return; // answered after the thread was abandoned
    const [task] = this.#inFlight.splice(at, 1);
    this.#headStartedAt = performance.now();
    if (this.#inFlight.length === 0) this.worker.unref();
    if (reply.ok) task!.resolve(reply.value);
    else task!.reject(new WorkerTaskError(reply.error, reply.code));
    this.#options.onSettled(this);
  }
}
