import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from './read-bundle.js';
import { ClinferError } from '../errors/index.js';

export const SIGNATURE_FILE = 'signature.json';
const FORMAT = 'clinfer-bundle-signature/1';

export interface SignatureDocument {
  format: typeof FORMAT;
  name: string;
  version: string;
  /** sha256 of every file of the bundle but this one. */
  files: Record<string, string>;
  key_id: string;
  /** Ed25519 over the canonical manifest (format, name, version, files), base64. */
  signature: string;
}

const invalid = (message: string) => new ClinferError('BUNDLE_INVALID', message);

/** sha256 of every regular file in a bundle folder (sorted), except the signature; sub-folders and links refused. */
export async function fileDigests(dir: string, strict = true): Promise<Record<string, string>> {
  const entries = await readdir(dir, { withFileTypes: true });
  // No prototype: a file named '__proto__' must be an entry like any other, signed and digested, and
  // 'toString' must not find a member that no file put there.
  const out: Record<string, string> = Object.create(null);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name === SIGNATURE_FILE) continue;
    if (!e.isFile()) {
      if (!strict) continue;
      throw invalid(`${dir}: '${e.name}' is not a regular file; a bundle is one flat folder of files`);
    }
    // Streamed: a 300 MB model must not be held in memory to be hashed.
    out[e.name] = await sha256File(join(dir, e.name));
  }
  return out;
}

/** The digest that names a bundle's exact content (its files' digests, signature excluded). */
export function bundleDigest(files: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(sortKeys(files))).digest('hex');
}

/** Stable id of a public key: the first 16 hex characters of the sha256 of its SPKI DER. */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function manifestBytes(name: string, version: string, files: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify({ format: FORMAT, name, version, files: sortKeys(files) }));
}

export function signManifest(name: string, version: string, files: Record<string, string>, privateKeyPem: string): SignatureDocument {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw invalid(`the signing key is ${key.asymmetricKeyType}; bundles are signed with Ed25519`);
  return { format: FORMAT, name, version, files: sortKeys(files), key_id: keyId(key), signature: sign(null, manifestBytes(name, version, files), key).toString('base64') };
}

/**
 * Checks a bundle folder against its signature.json: the files on disk are exactly those signed, each
 * with its signed digest, and the signature verifies under one of the trusted Ed25519 public keys.
 */
export async function verifyFolder(dir: string, trusted: readonly KeyObject[], expected?: { name: string; version: string }): Promise<{ keyId: string; digest: string; files: Record<string, string> }> {
  const text = await readFile(join(dir, SIGNATURE_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) throw invalid(`${dir}: the bundle is not signed (no ${SIGNATURE_FILE}) and trusted keys are configured`);
  let doc: SignatureDocument;
  try {
    doc = JSON.parse(text) as SignatureDocument;
  } catch {
    throw invalid(`${dir}/${SIGNATURE_FILE}: is not valid JSON`);
  }
  if (doc.format !== FORMAT || typeof doc.signature !== 'string' || typeof doc.files !== 'object' || doc.files === null) {
    throw invalid(`${dir}/${SIGNATURE_FILE}: is not a ${FORMAT} document`);
  }
  if (expected && (doc.name !== expected.name || doc.version !== expected.version)) {
    throw invalid(`${dir}/${SIGNATURE_FILE}: signed for ${doc.name} version ${doc.version}, found at ${expected.name} version ${expected.version}`);
  }
  const actual = await fileDigests(dir);
  for (const name of new Set([...Object.keys(actual), ...Object.keys(doc.files)])) {
    if (!Object.hasOwn(doc.files, name)) throw invalid(`${dir}: file '${name}' is not covered by the signature`);
    if (!Object.hasOwn(actual, name)) throw invalid(`${dir}: signed file '${name}' is missing`);
    if (actual[name] !== doc.files[name]) throw invalid(`${dir}: file '${name}' has sha256 ${actual[name]}, the signature covers ${doc.files[name]}`);
  }
  const bytes = manifestBytes(doc.name, doc.version, doc.files);
  const key = trusted.find((k) => keyId(k) === doc.key_id) ?? trusted.find((k) => safeVerify(bytes, k, doc.signature));
  if (!key || !safeVerify(bytes, key, doc.signature)) throw invalid(`${dir}: the signature (key ${String(doc.key_id).slice(0, 16)}) does not verify under any trusted key`);
  return { keyId: keyId(key), digest: bundleDigest(actual), files: actual };
}

function safeVerify(bytes: Buffer, key: KeyObject, signature: string): boolean {
  try {
    return verify(null, bytes, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
