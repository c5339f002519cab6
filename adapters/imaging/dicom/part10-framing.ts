/**
 * DICOM Part 10 framing (PS3.10 7.1), the one copy every reader and writer in clinfer uses: the 128-byte
 * preamble, "DICM", and the file meta group (0002,xxxx), always explicit VR little endian. Pure functions: the
 * data set bytes are never parsed or re-encoded here, so compressed pixel data travels as-is.
 */

/**
 * clinfer's Implementation Class UID (a UUID-derived UID, PS3.5 B.2, so no organisation root is needed) and
 * Version Name: written in the file meta of every Part 10 object clinfer writes (received instances, SR, SEG)
 * and sent in association negotiation.
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.71252425559548410709267940574455677743';
export const IMPLEMENTATION_VERSION_NAME = 'CLINFER_0_1';

export const PREAMBLE_LENGTH = 128;
const DICM = [0x44, 0x49, 0x43, 0x4d];
/** Where the file meta group starts: after the preamble and "DICM". */
export const FILE_META_OFFSET = PREAMBLE_LENGTH + DICM.length;

/** VRs whose explicit length field is 32 bits after two reserved bytes (PS3.5 Table 7.1-1). */
export const LONG_LENGTH_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

const latin1 = new TextDecoder('latin1');
const encoder = new TextEncoder();

/** Whether the bytes are long enough for a preamble and carry "DICM" after it. */
export function hasDicmPrefix(bytes: Uint8Array): boolean {
  return bytes.length >= FILE_META_OFFSET && DICM.every((byte, index) => bytes[PREAMBLE_LENGTH + index] === byte);
}

/** What the file meta says about the data set that follows it. */
export interface FileMetaFields {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** (0002,0016), written only when given. */
  readonly sourceAeTitle?: string;
}

/** Raised by scanFileMeta; callers wrap it in their own coded error. */
export class Part10FramingError extends Error {}

/**
 * Walks the file meta group of a file that has the "DICM" prefix (the caller checks it) and returns its UI
 * values by element number and where the data set starts. No data set byte is read.
 */
export function scanFileMeta(bytes: Uint8Array): { readonly uids: ReadonlyMap<number, string>; readonly datasetOffset: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const uids = new Map<number, string>();
  let offset = FILE_META_OFFSET;
  while (offset + 8 <= bytes.length && view.getUint16(offset, true) === 0x0002) {
    const element = view.getUint16(offset + 2, true);
    const vr = latin1.decode(bytes.subarray(offset + 4, offset + 6));
    let length: number;
    let valueStart: number;
    if (LONG_LENGTH_VRS.has(vr)) {
      if (offset + 12 > bytes.length) break;
      length = view.getUint32(offset + 8, true);
      valueStart = offset + 12;
    } else {
      length = view.getUint16(offset + 6, true);
      valueStart = offset + 8;
    }
    if (length === 0xffffffff || valueStart + length > bytes.length) {
      throw new Part10FramingError(`file meta element (0002,${element.toString(16).padStart(4, '0')}) has an invalid length`);
    }
    if (vr === 'UI') uids.set(element, latin1.decode(bytes.subarray(valueStart, valueStart + length)).replace(/[\0 ]+$/, ''));
    offset = valueStart + length;
  }
  return { uids, datasetOffset: offset };
}

/**
 * Frames a data set, given as chunks in order, as a Part 10 file: preamble, "DICM", the file meta group with
 * its group length, clinfer's Implementation Class UID and Version Name, then the chunks. One allocation.
 */
export function framePart10(meta: FileMetaFields, dataset: readonly Uint8Array[]): Uint8Array {
  const elements: Uint8Array[] = [
    metaElement(0x0001, 'OB', Uint8Array.of(0x00, 0x01)),
    metaElement(0x0002, 'UI', uidValue(meta.sopClassUid)),
    metaElement(0x0003, 'UI', uidValue(meta.sopInstanceUid)),
    metaElement(0x0010, 'UI', uidValue(meta.transferSyntaxUid)),
    metaElement(0x0012, 'UI', uidValue(IMPLEMENTATION_CLASS_UID)),
    metaElement(0x0013, 'SH', textValue(IMPLEMENTATION_VERSION_NAME)),
  ];
  if (meta.sourceAeTitle) elements.push(metaElement(0x0016, 'AE', textValue(meta.sourceAeTitle)));
  const groupBody = sum(elements.map((e) => e.length));
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, groupBody, true);

  const parts = [metaElement(0x0000, 'UL', groupLength), ...elements, ...dataset];
  const out = new Uint8Array(FILE_META_OFFSET + sum(parts.map((p) => p.length)));
  out.set(DICM, PREAMBLE_LENGTH);
  let offset = FILE_META_OFFSET;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function metaElement(tagElement: number, vr: string, value: Uint8Array): Uint8Array {
  const header = explicitVrHeader(0x00020000 | tagElement, vr, value.length);
  const out = new Uint8Array(header.length + value.length);
  out.set(header);
  out.set(value, header.length);
  return out;
}

/**
 * The header of one explicit VR little endian element: tag, VR, then a 16-bit length, or two reserved
 * bytes and a 32-bit length for the long-length VRs (PS3.5 7.1.2). `length` is written as given
 * (0xffffffff for an undefined length).
 */
export function explicitVrHeader(tag: number, vr: string, length: number): Uint8Array {
  const long = LONG_LENGTH_VRS.has(vr);
  const out = new Uint8Array(long ? 12 : 8);
  const view = new DataView(out.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, length, true);
  else view.setUint16(6, length, true);
  return out;
}

/** UI values are padded to even length with NUL (PS3.5 6.2). */
function uidValue(uid: string): Uint8Array {
  const raw = encoder.encode(uid);
  if (raw.length % 2 === 0) return raw;
  const padded = new Uint8Array(raw.length + 1);
  padded.set(raw);
  return padded;
}

/** Text values are padded to even length with a space. */
function textValue(text: string): Uint8Array {
  return encoder.encode(text.length % 2 === 0 ? text : `${text} `);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
