import { closeSync, constants, fchmodSync, fdatasync, fstatSync, ftruncateSync, openSync, renameSync, statSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { rotatedSegments, segmentName } from './segment-files.js';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/**
 * O_DSYNC (Linux, macOS): a write returns once its bytes are on stable storage, as write + fdatasync(2)
 * would make them, in one system call and one trip through libuv's thread pool instead of two. Where the
 * platform has no O_DSYNC (Windows), each batch is written and then fdatasync'ed.
 */
const DSYNC: number | undefined = constants.O_DSYNC;
const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (DSYNC ?? 0);

/** Called once per queued item: with no argument when it is durable (or done), with the error otherwise. */
export type Settle = (error?: unknown) => void;

type Item =
  | { readonly text: string; readonly settle: Settle; readonly run?: undefined }
  | { readonly text?: undefined; readonly settle: Settle; readonly run: () => void };

/**
 * The live file of an audit log: opened (0600) on the first write, appended to with whole lines only, and
 * renamed to the next numbered segment on rotation. Owns the file descriptor; nothing else writes the file.
 *
 * Group commit: `append` queues a line; its `settle` is called once the line is durable. While one
 * durable write is in flight (on libuv's thread pool, off the event loop), later lines wait in the queue
 * and go out together in the next one: one write per batch (O_DSYNC), or one write and one fdatasync.
 * Order is kept: lines, rotations and the close run in the order they were queued, and the `settle`
 * callbacks are called in that order. A batch that fails is cut back to the last whole line; its lines
 * and every line queued after it are settled with the file system's error (`onFailure` is called first,
 * synchronously, so the owner can rewind its chain before anything else is appended).
 */
export class SegmentWriter {
  readonly #path: string;
  readonly #now: () => number;
  readonly #onFailure: (error: unknown) => void;
  #queue: Item[] = [];
  #draining = false;
  #fd: number | undefined;
  /** Bytes durable in the live file. */
  #durableSize = 0;
  /** Bytes the live file will hold once the queued lines are written (what rotation by size looks at). */
  #size = 0;
  #openedAt: number;

  constructor(path: string, now: () => number, onFailure: (error: unknown) => void = () => {}) {
    this.#path = path;
    this.#now = now;
    this.#onFailure = onFailure;
    this.#openedAt = now();
    try {
      this.#size = statSync(path).size;
    } catch {
      // not there yet: created on the first write
    }
  }

  get isOpen(): boolean {
    return this.#fd !== undefined || this.#queue.length > 0;
  }

  /** Bytes in the live file once what is queued is written. */
  get size(): number {
    return this.#size;
  }

  /** Milliseconds since the live file was opened (or last rotated). */
  get ageMs(): number {
    return this.#now() - this.#openedAt;
  }

  /**
   * Queues whole lines (UTF-8, ending in a newline). `settle()` is called synchronously once they are
   * durable, before anything queued later is settled; `settle(error)` when they cannot be written.
   */
  append(text: string, settle: Settle): void {
    this.#size += Buffer.byteLength(text);
    this.#enqueue({ text, settle });
  }

  /** After what is queued: closes the live file and renames it to the next numbered segment; rejects if it cannot. */
  rotate(): Promise<void> {
    this.#size = 0;
    this.#openedAt = this.#now();
    return this.#op(() => {
      this.#closeFd();
      const next = (rotatedSegments(this.#path).at(-1) ?? 0) + 1;
      renameSync(this.#path, segmentName(this.#path, next));
    });
  }

  /** Resolves once everything queued before it is durable or has failed. */
  settled(): Promise<void> {
    return this.#op(() => undefined);
  }

  /** After what is queued: closes the file. */
  close(): Promise<void> {
    return this.#op(() => this.#closeFd());
  }

  #op(run: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#enqueue({ run, settle: (error) => (error === undefined ? resolve() : reject(error)) }));
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!;
        if (head.run) {
          this.#queue.shift();
          try {
            head.run();
          } catch (error) {
            head.settle(error);
            continue;
          }
          head.settle();
          continue;
        }
        // Everything queued up to the next operation: the lines that arrived while the last batch was written.
        let n = 1;
        let text = head.text!;
        while (n < this.#queue.length && this.#queue[n]!.run === undefined) text += this.#queue[n++]!.text;
        const batch = this.#queue.slice(0, n);
        this.#queue = this.#queue.slice(n);
        try {
          await this.#writeDurably(Buffer.from(text));
        } catch (error) {
          this.#cutBack();
          // The lines queued after this batch chain on to lines that are not in the file: they fail too.
          const later = this.#queue.filter((i) => i.run === undefined);
          this.#queue = this.#queue.filter((i) => i.run !== undefined);
          this.#size = this.#durableSize;
          this.#onFailure(error);
          for (const item of batch) item.settle(error);
          for (const item of later) item.settle(error);
          continue;
        }
        for (const item of batch) item.settle();
      }
    } finally {
      this.#draining = false;
    }
  }

  async #writeDurably(bytes: Buffer): Promise<void> {
    const fd = (this.#fd ??= this.#open());
    let written = 0;
    while (written < bytes.length) written += (await writeAsync(fd, bytes, written, bytes.length - written)).bytesWritten;
    if (DSYNC === undefined) await fdatasyncAsync(fd);
    this.#durableSize += bytes.length;
  }

  #closeFd(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #cutBack(): void {
    if (this.#fd === undefined) return;
    try {
      if (fstatSync(this.#fd).size > this.#durableSize) ftruncateSync(this.#fd, this.#durableSize);
    } catch {
      // a device such as /dev/full cannot be truncated; nothing was kept there either
    }
  }

  #open(): number {
    const fd = openSync(this.#path, OPEN_FLAGS, 0o600);
    const stat = fstatSync(fd);
    if (stat.isFile() && (stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    this.#durableSize = stat.size;
    return fd;
  }
}
