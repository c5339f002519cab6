import { createHmac, createSecretKey, hash, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ClinferError } from '../errors/index.js';

/** SHA-256's block size: the HMAC key is padded (or first hashed) to it (RFC 2104). */
const BLOCK = 64;
/**
 * Values up to this size are HMAC'ed by two one-shot hashes over a reused buffer (see hmac); larger ones,
 * and chunk lists, go through createHmac, whose fixed cost is small beside hashing them.
 */
const ONE_SHOT_MAX = 64 * 1024;

/**
 * The server's audit HMAC secret: input digests, request ids and DICOM UIDs are written as
 * HMAC-SHA256 under it, so equal inputs at two sites give different digests and a digest cannot be
 * reversed by hashing candidate values (a patient id, a study UID) without the secret. The site keeps the
 * secret to check a given input against the log later.
 */
export class AuditSecret {
  /** Made once: createHmac with a KeyObject does not import the raw key again for every digest. */
  readonly #key: KeyObject;
  /** (key XOR ipad) followed by room for a value up to ONE_SHOT_MAX bytes: the inner hash's input. */
  readonly #inner: Buffer;
  /** (key XOR opad) followed by the inner digest: the outer hash's input. */
  readonly #outer: Buffer;
  readonly #raw: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new ClinferError('CONFIG_INVALID', `the audit HMAC key must hold at least 32 bytes, got ${key.length}`);
    this.#raw = Buffer.from(key);
    this.#key = createSecretKey(key);
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? hash('sha256', key, 'buffer') : key).copy(block);
    this.#inner = Buffer.alloc(BLOCK + ONE_SHOT_MAX);
    this.#outer = Buffer.alloc(BLOCK + 32);
    for (let i = 0; i < BLOCK; i++) {
      this.#inner[i] = block[i]! ^ 0x36;
      this.#outer[i] = block[i]! ^ 0x5c;
    }
  }

  /**
   * HMAC-SHA256 (hex) of a value. Chunks (a list of byte arrays, such as a gRPC request's input tensors)
   * are fed one after the other, so the digest is exactly that of their concatenation, without making it.
   *
   * A value up to ONE_SHOT_MAX bytes (a request id, a UID, a typical request body) is HMAC'ed as RFC 2104
   * defines it, sha256((K ^ opad) || sha256((K ^ ipad) || value)), with two one-shot hashes over buffers
   * made once: creating an Hmac object costs more than hashing a kilobyte (about 2.0 against 1.3 µs a
   * digest of 1 KiB, 1.35 against 0.8 µs a request id). Synchronous, so the buffers are never shared.
   */
  hmac(value: Uint8Array | readonly Uint8Array[] | string): string {
    if (typeof value === 'string') {
      if (value.length * 3 <= ONE_SHOT_MAX) return this.#oneShot(this.#inner.write(value, BLOCK, 'utf8'));
    } else if (value instanceof Uint8Array) {
      if (value.length <= ONE_SHOT_MAX) {
        this.#inner.set(value, BLOCK);
        return this.#oneShot(value.length);
      }
    }
    const mac = createHmac('sha256', this.#key);
    if (typeof value === 'string' || value instanceof Uint8Array) mac.update(value);
    else for (const chunk of value) mac.update(chunk);
    return mac.digest('hex');
  }

  /**
   * A copy of the key, for the digest thread of this process (input-digests.ts), which makes its own
   * AuditSecret from it so that both give the very same digests. Never written or sent anywhere else.
   */
  copyOfKey(): Buffer {
    return Buffer.from(this.#raw);
  }

  /** The HMAC of the `length` bytes written into #inner after the padded key. */
  #oneShot(length: number): string {
    this.#outer.write(hash('sha256', this.#inner.subarray(0, BLOCK + length), 'hex'), BLOCK, 'hex');
    return hash('sha256', this.#outer, 'hex');
  }
}

/**
 * Reads the secret (64 or more hex characters, or 32 or more raw bytes), or, when the file does not
 * exist, creates it with 32 random bytes, mode 0600. A file others could read is set back to 0600.
 */
export function loadOrCreateAuditSecret(file: string): AuditSecret {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ClinferError('CONFIG_INVALID', `audit HMAC key ${file} cannot be read (${(error as NodeJS.ErrnoException).code})`);
    const key = randomBytes(32);
    try {
      writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      throw new ClinferError('CONFIG_INVALID', `audit HMAC key ${file} cannot be created (${(writeError as NodeJS.ErrnoException).code})`);
    }
    return new AuditSecret(key);
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
  }
  const hex = text.toString('utf8').trim();
  return new AuditSecret(/^[0-9a-fA-F]{64,}$/.test(hex) ? Buffer.from(hex, 'hex') : text);
}
