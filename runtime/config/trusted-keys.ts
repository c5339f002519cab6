import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The `trustedKeys` setting read once, with the rest of the configuration: each file must hold an Ed25519
 * public key in PEM. A file that cannot be read or holds another kind of key is a configuration problem
 * naming the file, so that the server never starts with fewer trusted keys than configured.
 *
 * The configuration keeps the key as PEM text (not a KeyObject: a frozen KeyObject breaks Node's own
 * lazy caches); `signingKeys` turns the validated PEM into KeyObjects, which cannot fail.
 */
export interface TrustedKey {
  /** The file the key was read from, for messages. */
  readonly file: string;
  /** SPKI PEM of an Ed25519 public key, as re-exported after validation. */
  readonly publicKeyPem: string;
}

/** Reads every key file; `problems` has one [index, message] per file that is not an Ed25519 public key. */
export function readTrustedKeys(files: readonly string[]): { keys: TrustedKey[]; problems: Array<[number, string]> } {
  const keys: TrustedKey[] = [];
  const problems: Array<[number, string]> = [];
  for (const [index, file] of files.entries()) {
    let key: KeyObject;
    try {
      key = createPublicKey(readFileSync(file, 'utf8'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.slice(0, 60);
      problems.push([index, `${file} is not a readable PEM public key (${reason})`]);
      continue;
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      problems.push([index, `${file} is a ${key.asymmetricKeyType} key; bundles are signed with Ed25519`]);
      continue;
    }
    keys.push({ file, publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() });
  }
  return { keys, problems };
}

/** The trusted keys as KeyObjects, for signature checks (the PEM was validated when the configuration loaded). */
export function signingKeys(keys: readonly TrustedKey[]): KeyObject[] {
  return keys.map((k) => createPublicKey(k.publicKeyPem));
}
