import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { moduleExecArgv, RUNS_COMPILED, siblingModule } from '../util/own-files.js';
import type { AuditSecret } from './audit-secret.js';
import type { DigestAnswer, DigestTask } from './input-digest-worker.js';

// Compiled, the thread starts on input-digest-worker.js; from source, on a CommonJS file that requires the
// TypeScript entry through tsx (input-digest-bootstrap.cjs says why).
const WORKER_URL = RUNS_COMPILED ? siblingModule(import.meta.url, 'input-digest-worker') : new URL('./input-digest-bootstrap.cjs', import.meta.url);

/**
 * Inputs from this size up are digested on the digest thread. Handing one over and taking the answer back
 * costs the event loop about 17 µs and the process about 35 µs more CPU than hashing on the event loop
 * (HMAC-SHA256 with SHA-NI is about 0.6 µs per KiB here): from 256 KiB the event loop saves 130 µs and
 * more per input for that. Smaller inputs are hashed where they are.
 */
export const OFFLOAD_MIN_BYTES = 256 * 1024;

type Input = Uint8Array | readonly Uint8Array[];

/**
 * The audit HMAC of request inputs (input_hmac), taken off the event loop when an input is large. A 1 MB
 * CT slice costs about 0.6 ms of SHA-256 and a 3 MB DICOM instance 1.8 ms: on the event loop that time is
 * taken from every other request at once. Large inputs go to one thread (started on first use) that reads
 * them in place when they are in shared memory (request bodies with a Content-Length are:
 * http/bounded-raw-body.ts) and otherwise from one copy there. countRequest starts the digest when the
 * request arrives, so it runs beside the inference and is ready when the audit line is written.
 *
 * Never fails and never differs: the thread computes with its own AuditSecret made from the same key, and
 * what it cannot answer (it exited, or this was closed) the event loop computes itself; after the thread
 * has failed once, every input is hashed on the event loop.
 */
export class InputDigests {
  readonly #secret: AuditSecret;
  readonly #minBytes: number;
  readonly #pending = new Map<number, { readonly input: Input; readonly resolve: (hex: string) => void }>();
  #worker: Worker | undefined;
  #nextId = 0;
  /** Closed, or the thread failed: no thread any more. */
  #inline = false;
  #offloaded = 0;

  constructor(secret: AuditSecret, options: { minBytes?: number } = {}) {
    this.#secret = secret;
    this.#minBytes = options.minBytes ?? OFFLOAD_MIN_BYTES;
  }

  /** HMAC-SHA256 (hex) of the input, or of its chunks one after the other: AuditSecret.hmac's digest. */
  digest(input: Input): Promise<string> {
    const bytes = input instanceof Uint8Array ? input.byteLength : input.reduce((n, chunk) => n + chunk.byteLength, 0);
    if (bytes < this.#minBytes || this.#inline) return Promise.resolve(this.#secret.hmac(input));
    return new Promise<string>((resolve) => {
      const id = this.#nextId++;
      this.#pending.set(id, { input, resolve });
      this.#thread().postMessage({ id, bytes: shared(input, bytes) } satisfies DigestTask);
    });
  }

  /** How many digests the thread has given (the rest were taken on the event loop). */
  get offloaded(): number {
    return this.#offloaded;
  }

  /** Stops the thread; digests still waiting, and those asked for afterwards, are computed on the event loop. */
  async close(): Promise<void> {
    this.#inline = true;
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
    this.#answerInline();
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(fileURLToPath(WORKER_URL), { execArgv: moduleExecArgv(), workerData: { key: this.#secret.copyOfKey() } });
    // The server's own handles keep the process alive; this thread must not keep a finished CLI or test run.
    worker.unref();
    worker.on('message', (answer: DigestAnswer) => {
      const waiting = this.#pending.get(answer.id);
      if (!waiting) return;
      this.#pending.delete(answer.id);
      this.#offloaded += 1;
      waiting.resolve(answer.hex);
    });
    const failed = () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#inline = true;
      this.#answerInline();
    };
    worker.on('error', failed);
    worker.on('exit', failed);
    this.#worker = worker;
    return worker;
  }

  #answerInline(): void {
    for (const [id, waiting] of this.#pending) {
      this.#pending.delete(id);
      waiting.resolve(this.#secret.hmac(waiting.input));
    }
  }
}

/**
 * The bytes in shared memory, so that handing them to the thread copies nothing more: the input itself
 * when it is already there, else one copy. (Posting an ordinary Buffer would clone its whole backing
 * ArrayBuffer, which for a slice of a larger one is more than the input.)
 */
function shared(input: Input, bytes: number): Uint8Array {
  if (input instanceof Uint8Array && input.buffer instanceof SharedArrayBuffer) return input;
  const copy = new Uint8Array(new SharedArrayBuffer(bytes));
  if (input instanceof Uint8Array) copy.set(input);
  else {
    let at = 0;
    for (const chunk of input) {
      copy.set(chunk, at);
      at += chunk.byteLength;
    }
  }
  return copy;
}
