import { closeSync, fchmodSync, fdatasync, fstatSync, ftruncateSync, openSync, renameSync, statSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { rotatedSegments, segmentName } from './segment-files.js';

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

type Item =
  | { readonly kind: 'line'; readonly bytes: Buffer; readonly onDurable: (() => void) | undefined; readonly resolve: () => void; readonly reject: (e: unknown) => void }
  | { readonly kind: 'op'; readonly run: () => void; readonly resolve: () => void; readonly reject: (e: unknown) => void };

/**
 * The live file of an audit log: opened (0600) on the first write, appended to with whole lines only, and
 * renamed to the next numbered segment on rotation. Owns the file descriptor; nothing else writes the file.
 *
 * Group commit: `append` queues a line and returns a promise that resolves once the line is durable
 * (written and fdatasync'ed). While one write + fdatasync is in flight (on libuv's thread pool, off the
 * event loop), later lines wait in the queue and go out together in the next one: one write and one
 * fdatasync per batch. Order is kept: lines, rotations and the close run in the order they were queued.
 * A batch that fails is cut back to the last whole line; its lines and every line queued after it are
 * rejected with the file system's error (`onFailure` is called first, synchronously, so the owner can
 * rewind its chain before anything else is appended).
 */
export class SegmentWriter {
  readonly #path: string;
  readonly #now: () => number;
  readonly #onFailure: (error: unknown) => void;
  readonly #queue: Item[] = [];
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
   * Queues the bytes (whole lines); resolves when they are durable, rejects with the file system's error.
   * `onDurable` runs synchronously once they are, before any later failure is reported.
   */
  append(bytes: Buffer, onDurable?: () => void): Promise<void> {
    this.#size += bytes.length;
    return this.#enqueue((resolve, reject) => ({ kind: 'line', bytes, onDurable, resolve, reject }));
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
    return this.#enqueue((resolve, reject) => ({ kind: 'op', run, resolve, reject }));
  }

  #enqueue(make: (resolve: () => void, reject: (e: unknown) => void) => Item): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => this.#queue.push(make(resolve, reject)));
    if (!this.#draining) void this.#drain();
    return promise;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0]!;
        if (head.kind === 'op') {
          this.#queue.shift();
          try {
            head.run();
            head.resolve();
          } catch (error) {
            head.reject(error);
          }
          continue;
        }
        let n = 0;
        while (n < this.#queue.length && this.#queue[n]!.kind === 'line') n++;
        const batch = this.#queue.splice(0, n) as Extract<Item, { kind: 'line' }>[];
        try {
          await this.#writeDurably(batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((b) => b.bytes)));
        } catch (error) {
          this.#cutBack();
          // The lines queued after this batch chain on to lines that are not in the file: they fail too.
          const later = this.#queue.filter((i) => i.kind === 'line');
          const ops = this.#queue.filter((i) => i.kind === 'op');
          this.#queue.splice(0, this.#queue.length, ...ops);
          this.#size = this.#durableSize;
          this.#onFailure(error);
          for (const item of [...batch, ...later]) item.reject(error);
          continue;
        }
        for (const item of batch) {
          item.onDurable?.();
          item.resolve();
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #writeDurably(bytes: Buffer): Promise<void> {
    const fd = (this.#fd ??= this.#open());
    let written = 0;
    while (written < bytes.length) written += (await writeAsync(fd, bytes, written, bytes.length - written)).bytesWritten;
    await fdatasyncAsync(fd);
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
    const fd = openSync(this.#path, 'a', 0o600);
    const stat = fstatSync(fd);
    if (stat.isFile() && (stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    this.#durableSize = stat.size;
    return fd;
  }
}
