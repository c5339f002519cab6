import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ClinferError } from '../errors/index.js';

/**
 * The server's audit HMAC secret: input digests, request ids and DICOM UIDs are written as
 * HMAC-SHA256 under it, so equal inputs at two sites give different digests and a digest cannot be
 * reversed by hashing candidate values (a patient id, a study UID) without the secret. The site keeps the
 * secret to check a given input against the log later.
 */
export class AuditSecret {
  /** Made once: createHmac with a KeyObject does not import the raw key again for every digest. */
  readonly #key: KeyObject;

  constructor(key: Buffer) {
    if (key.length < 32) throw new ClinferError('CONFIG_INVALID', `the audit HMAC key must hold at least 32 bytes, got ${key.length}`);
    this.#key = createSecretKey(key);
  }

  /**
   * HMAC-SHA256 (hex) of a value. Chunks (a list of byte arrays, such as a gRPC request's input tensors)
   * are fed one after the other, so the digest is exactly that of their concatenation, without making it.
   */
  hmac(value: Uint8Array | readonly Uint8Array[] | string): string {
    const mac = createHmac('sha256', this.#key);
    if (typeof value === 'string' || value instanceof Uint8Array) mac.update(value);
    else for (const chunk of value) mac.update(chunk);
    return mac.digest('hex');
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
