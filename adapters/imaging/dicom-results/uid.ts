import { DicomResultError } from './errors.js';
import { sha256 } from './sha256.js';

/** DICOM UIDs (PS3.5 9.1): digits and dots, no component with a leading zero, at most 64 characters. */
const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const UID_MAX = 64;

export function isValidUid(uid: string): boolean {
  return uid.length <= UID_MAX && UID_PATTERN.test(uid);
}

function bytesToDecimal(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value.toString(10);
}

/** A UUID as a UID under the 2.25 arc (PS3.5 B.2): the UUID's 128 bits as one decimal integer. */
function uuidUid(uuid: Uint8Array): string {
  return `2.25.${bytesToDecimal(uuid)}`;
}

/**
 * A new, globally unique UID. Without a root: a random (version 4) UUID under 2.25. With the site's own root
 * (an organisation root the hospital registered): the root, a dot, and as many random decimal digits as fit in
 * 64 characters (at least 20, about 66 bits).
 */
export function newUid(root?: string): string {
  const random = new Uint8Array(16);
  globalThis.crypto.getRandomValues(random);
  if (root === undefined) {
    random[6] = (random[6]! & 0x0f) | 0x40;
    random[8] = (random[8]! & 0x3f) | 0x80;
    return uuidUid(random);
  }
  if (!UID_PATTERN.test(root)) {
    throw new DicomResultError('RESULT_INVALID_VALUE', `uidRoot: expected digits and dots without leading zeros (e.g. '1.2.826.0.1.3680043.10.543'), got ${JSON.stringify(root)}`);
  }
  const room = UID_MAX - root.length - 1;
  if (room < 20) {
    throw new DicomResultError('RESULT_INVALID_VALUE', `uidRoot: at most ${UID_MAX - 21} characters so that 20 random digits fit in a 64-character UID, got ${root.length}`);
  }
  let digits = bytesToDecimal(random);
  while (digits.length < 20) { // a value below 10^19 (probability 3e-20): draw again rather than pad
    globalThis.crypto.getRandomValues(random);
    digits = bytesToDecimal(random);
  }
  return `${root}.${digits.slice(0, room)}`;
}

const DIGEST_PATTERN = /^(?:sha256:)?([0-9a-fA-F]{64})$/;

/** The sha-256 hex of a bundle, lowercase and without a `sha256:` prefix; throws when it is not one. */
export function normalizeDigest(digest: string): string {
  const match = DIGEST_PATTERN.exec(digest);
  if (!match) throw new DicomResultError('RESULT_INVALID_MODEL', `model.digest: expected the bundle's sha-256 as 64 hex digits (optionally 'sha256:'-prefixed), got ${digest.length} characters`);
  return match[1]!.toLowerCase();
}

/**
 * The Device UID of one model bundle: the same for the same bundle everywhere, different for every other bundle.
 * A name-based UUID (RFC 9562 version 8, SHA-256 of a fixed namespace and the bundle digest) under 2.25, so it
 * does not depend on a site's UID root and does not reveal the digest itself.
 */
export function deviceUidFromDigest(digest: string): string {
  const name = new TextEncoder().encode(`clinfer/device-uid/v1\n${normalizeDigest(digest)}`);
  const uuid = sha256(name).slice(0, 16);
  uuid[6] = (uuid[6]! & 0x0f) | 0x80;
  uuid[8] = (uuid[8]! & 0x3f) | 0x80;
  return uuidUid(uuid);
}
