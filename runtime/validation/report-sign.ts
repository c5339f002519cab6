import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { keyId } from '../bundle/signature.js';
import { ClinferError } from '../errors/index.js';

/**
 * A report (validation or network) is signed with the site's Ed25519 key (`clinfer bundle keygen`):
 * the signature covers the canonical JSON of the whole document but its `signature` field (keys sorted
 * at every level, no whitespace), so any change to any figure breaks it.
 */
export interface SignedDocument {
  signature?: { algorithm: 'Ed25519'; key_id: string; value: string } | undefined;
}

const invalid = (message: string) => new ClinferError('REPORT_INVALID', message);

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function signedBytes(doc: SignedDocument): Buffer {
  const { signature: _, ...rest } = doc;
  return Buffer.from(canonicalJson(rest));
}

export function signDocument<T extends SignedDocument>(doc: T, privateKeyPem: string): T {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw invalid(`--key: not a PEM private key (${(error as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw invalid(`--key: the key is ${key.asymmetricKeyType}; reports are signed with Ed25519 (clinfer bundle keygen)`);
  return { ...doc, signature: { algorithm: 'Ed25519', key_id: keyId(key), value: sign(null, signedBytes(doc), key).toString('base64') } };
}

export function publicKeyFrom(pem: string, what: string): KeyObject {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType}, not Ed25519`);
    return key;
  } catch (error) {
    throw invalid(`${what}: not an Ed25519 public key in PEM (${(error as Error).message})`);
  }
}

/** Checks the signature under one of `trusted`; returns the signing key's id. Throws REPORT_INVALID naming the report. */
export function verifyDocument(doc: SignedDocument, trusted: readonly KeyObject[], what: string): string {
  const s = doc.signature;
  if (!s || s.algorithm !== 'Ed25519' || typeof s.value !== 'string' || typeof s.key_id !== 'string') throw invalid(`${what}: is not signed (no Ed25519 signature field)`);
  const bytes = signedBytes(doc);
  for (const key of trusted) {
    try {
      if (verify(null, bytes, key, Buffer.from(s.value, 'base64'))) return keyId(key);
    } catch {
      // A malformed signature value verifies under no key.
    }
  }
  const known = trusted.some((k) => keyId(k) === s.key_id);
  throw invalid(`${what}: the signature (key ${s.key_id.slice(0, 16)}) does not verify${known ? ': the report was changed after it was signed' : ' under any of the given keys'}`);
}
