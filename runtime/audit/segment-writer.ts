import { closeSync, fchmodSync, fstatSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { rotatedSegments, segmentName } from './segment-files.js';

/**
 * The live file of an audit log: opened (0600) on the first write, appended to with whole lines only, and
 * renamed to the next numbered segment on rotation. Owns the file descriptor; nothing else writes the file.
 */
export class SegmentWriter {
  readonly #path: string;
  readonly #now: () => number;
  #fd: number | undefined;
  #size = 0;
  #openedAt = 0;

  constructor(path: string, now: () => number) {
    this.#path = path;
    this.#now = now;
  }

  get isOpen(): boolean {
    return this.#fd !== undefined;
  }

  /** Bytes in the live file (as far as this writer knows). */
  get size(): number {
    return this.#size;
  }

  /** Milliseconds since this writer opened the live file. */
  get ageMs(): number {
    return this.#now() - this.#openedAt;
  }

  /**
   * Appends the bytes, all of them or, on an error (disk full), none: what part of them reached the file is
   * cut back, so the next line is never merged with a half-written one. Throws the file system's error.
   */
  append(bytes: Buffer): void {
    try {
      this.#fd ??= this.#open();
      let written = 0;
      while (written < bytes.length) written += writeSync(this.#fd, bytes, written);
    } catch (error) {
      this.#cutBack();
      throw error;
    }
    this.#size += bytes.length;
  }

  /** Closes the live file and renames it to the next numbered segment; throws if it cannot be renamed. */
  rotate(): void {
    this.close();
    const next = (rotatedSegments(this.#path).at(-1) ?? 0) + 1;
    renameSync(this.#path, segmentName(this.#path, next));
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #cutBack(): void {
    if (this.#fd === undefined) return;
    try {
      if (fstatSync(this.#fd).size > this.#size) ftruncateSync(this.#fd, this.#size);
    } catch {
      // a device such as /dev/full cannot be truncated; nothing was kept there either
    }
  }

  #open(): number {
    const fd = openSync(this.#path, 'a', 0o600);
    const stat = fstatSync(fd);
    if (stat.isFile() && (stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    this.#size = stat.size;
    this.#openedAt = this.#now();
    return fd;
  }
}
