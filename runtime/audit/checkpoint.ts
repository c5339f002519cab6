import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { keyId } from '../bundle/signature.js';
import { ClinferError } from '../errors/index.js';

/**
 * Why a checkpoint was written. A log that was closed cleanly ends with a 'shutdown' checkpoint; a
 * rotated segment ends with a 'rotate' one; 'interval' ones come every auditCheckpointEvery entries.
 */
export type CheckpointReason = 'interval' | 'rotate' | 'shutdown';

/** The fields of a checkpoint line that the signature covers (with prev, the chain head it signs). */
export interface CheckpointFields {
  readonly seq: number;
  readonly time: string;
  readonly reason: CheckpointReason;
  /** Hash of the line before: the chain head, which commits to every earlier line. */
  readonly prev: string;
  readonly key_id: string;
}

/** The signed bytes: a domain tag, then the sequence number and chain head (and reason, time, key). */
export function checkpointPayload(c: CheckpointFields): Buffer {
  return Buffer.from(['clinfer-audit-checkpoint/1', c.seq, c.prev, c.reason, c.time, c.key_id].join('\n'));
}

export interface AuditSigner {
  readonly keyId: string;
  sign(c: CheckpointFields): string;
}

/** Loads the server's audit key (a PKCS8 PEM Ed25519 private key, as `clinfer audit keygen` writes). */
export function loadAuditSigner(file: string): AuditSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ClinferError('CONFIG_INVALID', `auditKeyFile ${file}: not a readable PEM private key (${(error as NodeJS.ErrnoException).code ?? 'unparsable'})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ClinferError('CONFIG_INVALID', `auditKeyFile ${file}: an Ed25519 key is expected, got ${key.asymmetricKeyType}`);
  const id = keyId(key);
  return { keyId: id, sign: (c) => sign(null, checkpointPayload(c), key).toString('base64') };
}

/** Reads a public key (SPKI PEM); a private key file is accepted too (its public half is used). */
export function readAuditPublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is expected, got ${key.asymmetricKeyType}`);
  return key;
}

export function verifyCheckpoint(c: CheckpointFields, signature: string, key: KeyObject): boolean {
  try {
    return verify(null, checkpointPayload(c), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export { keyId };
