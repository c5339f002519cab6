import { ClinferError } from '../errors/index.js';

export interface TarFile {
  readonly name: string;
  readonly data: Buffer;
}

const BLOCK = 512;

export const refuse = (message: string) => new ClinferError('BUNDLE_INVALID', `bundle archive: ${message}`);

/**
 * Reads a tar stream chunk by chunk, so that an archive is checked while it is decompressed and no step
 * holds the event loop for more than one chunk. Refused, before anything is written: links, devices and
 * every entry that is not a regular file (directories are skipped), names with '..', absolute names or
 * sub-folders, more than `maxFiles` files, files larger than `maxBytes` together (checked from each
 * header, before its memory is taken), bad checksums. What follows the end-of-archive block is ignored.
 */
export class TarReader {
  readonly #files: TarFile[] = [];
  readonly #header = Buffer.alloc(BLOCK);
  #headerFill = 0;
  #current: { name: string; data: Buffer; filled: number } | undefined;
  #skip = 0;
  #offset = 0;
  #ended = false;
  #taken = 0;
  readonly #maxFiles: number;
  readonly #maxBytes: number;

  /** `maxBytes`: the files' bytes together; a header claiming more than what is left throws UnpackLimitError. */
  constructor(limits: { readonly maxFiles: number; readonly maxBytes: number }) {
    this.#maxFiles = limits.maxFiles;
    this.#maxBytes = limits.maxBytes;
  }

  /** True once the end-of-archive block was read: what follows does not matter. */
  get ended(): boolean {
    return this.#ended;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.byteLength && !this.#ended) {
      if (this.#current) {
        const n = Math.min(chunk.byteLength - at, this.#current.data.byteLength - this.#current.filled);
        chunk.copy(this.#current.data, this.#current.filled, at, at + n);
        this.#current.filled += n;
        at += n;
        if (this.#current.filled === this.#current.data.byteLength) {
          this.#files.push({ name: this.#current.name, data: this.#current.data });
          this.#skip = (BLOCK - (this.#current.data.byteLength % BLOCK)) % BLOCK;
          this.#current = undefined;
        }
      } else if (this.#skip > 0) {
        const n = Math.min(chunk.byteLength - at, this.#skip);
        this.#skip -= n;
        at += n;
      } else {
        const n = Math.min(chunk.byteLength - at, BLOCK - this.#headerFill);
        chunk.copy(this.#header, this.#headerFill, at, at + n);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill === BLOCK) {
          this.#headerFill = 0;
          this.#entry();
          this.#offset += BLOCK;
        }
      }
    }
  }

  /** The files, once the stream ended; a file cut short is refused. */
  finish(): TarFile[] {
    if (this.#current) throw refuse(`entry '${safe(this.#current.name)}' is truncated`);
    if (this.#files.length === 0) throw refuse('holds no file');
    return this.#files;
  }

  #entry(): void {
    const header = this.#header;
    if (header.every((b) => b === 0)) {
      this.#ended = true;
      return;
    }
    const stored = parseOctal(header.subarray(148, 156));
    const computed = header.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    if (stored !== computed) throw refuse(`entry at byte ${this.#offset} has a bad header checksum`);
    const rawName = cString(header.subarray(0, 100));
    const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header.subarray(345, 500)) : '';
    const fullName = prefix ? `${prefix}/${rawName}` : rawName;
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156]!);
    if (!Number.isSafeInteger(size) || size < 0) throw refuse(`entry '${safe(fullName)}' is truncated`);
    const name = fullName.replace(/^(\.\/)+/, '');
    if (fullName.startsWith('/') || fullName.split('/').includes('..')) throw refuse(`entry '${safe(fullName)}' points outside the bundle`);
    if (type === '5') {
      if (name !== '' && name !== '.' && name !== './') throw refuse(`entry '${safe(fullName)}' is a sub-folder; a bundle is one flat folder`);
      this.#skip = Math.ceil(size / BLOCK) * BLOCK;
    } else if (type === '0' || type === '\0') {
      if (name.includes('/') || name === '') throw refuse(`entry '${safe(fullName)}' is inside a sub-folder; a bundle is one flat folder`);
      if (/^\.+$/.test(name)) throw refuse(`entry '${safe(fullName)}' is not a file name`);
      if (this.#files.some((f) => f.name === name)) throw refuse(`entry '${safe(name)}' appears twice`);
      if (this.#files.length >= this.#maxFiles) throw refuse(`holds more than ${this.#maxFiles} files`);
      if (size > this.#maxBytes - this.#taken) throw new UnpackLimitError();
      this.#taken += size;
      if (size === 0) this.#files.push({ name, data: Buffer.alloc(0) });
      else this.#current = { name, data: Buffer.allocUnsafe(size), filled: 0 };
    } else {
      throw refuse(`entry '${safe(fullName)}' is a ${type === '1' ? 'hard link' : type === '2' ? 'symbolic link' : `type '${safe(type)}' entry`}; only regular files are accepted`);
    }
  }
}

/** A file's header claims more bytes than the unpacking limits leave: the caller words the refusal. */
export class UnpackLimitError extends Error {
  constructor() {
    super('the archive unpacks past its limit');
  }
}

function parseOctal(field: Buffer): number {
  const text = cString(field).trim();
  return text === '' ? 0 : /^[0-7]+$/.test(text) ? parseInt(text, 8) : Number.NaN;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

const safe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
