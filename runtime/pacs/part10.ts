import { PacsError } from './pacs-error.js';
import { CLINFER_IMPLEMENTATION_CLASS_UID, CLINFER_IMPLEMENTATION_VERSION } from './uids.js';

/**
 * DICOM Part 10 framing (PS3.10 7.1): 128-byte preamble, "DICM", the file meta group (0002,xxxx) in
 * explicit VR little endian, then the data set in the transfer syntax the meta names. Pure functions: the
 * data set bytes are never parsed or re-encoded here, which is what lets compressed pixel data travel as-is.
 */
export interface Part10Meta {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
}

export interface Part10View extends Part10Meta {
  /** Where the data set starts in the file's bytes. */
  readonly datasetOffset: number;
}

const PREAMBLE_LENGTH = 128;
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const ascii = new TextDecoder('latin1');
const encoder = new TextEncoder();

export function readPart10(bytes: Uint8Array): Part10View {
  if (bytes.length < PREAMBLE_LENGTH + 4 || ascii.decode(bytes.subarray(PREAMBLE_LENGTH, PREAMBLE_LENGTH + 4)) !== 'DICM') {
    throw new PacsError('PACS_INVALID_PART10', 'no DICM prefix after the 128-byte preamble');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Map<number, string>();
  let offset = PREAMBLE_LENGTH + 4;
  while (offset + 8 <= bytes.length && view.getUint16(offset, true) === 0x0002) {
    const element = view.getUint16(offset + 2, true);
    const vr = ascii.decode(bytes.subarray(offset + 4, offset + 6));
    let length: number;
    let valueStart: number;
    if (LONG_VRS.has(vr)) {
      if (offset + 12 > bytes.length) break;
      length = view.getUint32(offset + 8, true);
      valueStart = offset + 12;
    } else {
      length = view.getUint16(offset + 6, true);
      valueStart = offset + 8;
    }
    if (length === 0xffffffff || valueStart + length > bytes.length) {
      throw new PacsError('PACS_INVALID_PART10', `file meta element (0002,${element.toString(16).padStart(4, '0')}) has an invalid length`);
    }
    if (vr === 'UI') values.set(element, trimUid(bytes.subarray(valueStart, valueStart + length)));
    offset = valueStart + length;
  }
  const sopClassUid = values.get(0x0002);
  const sopInstanceUid = values.get(0x0003);
  const transferSyntaxUid = values.get(0x0010);
  if (!sopClassUid || !sopInstanceUid || !transferSyntaxUid) {
    throw new PacsError('PACS_INVALID_PART10', 'the file meta lacks (0002,0002), (0002,0003) or (0002,0010)');
  }
  return { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetOffset: offset };
}

/** The data set of a Part 10 file, as a view (no copy). */
export function part10Dataset(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(readPart10(bytes).datasetOffset);
}

/**
 * Frames a data set, given as chunks in the order received, as a Part 10 file. One allocation: the chunks
 * are copied straight into the result.
 */
export function writePart10(meta: Part10Meta & { readonly sourceAeTitle?: string }, dataset: readonly Uint8Array[]): Uint8Array {
  const elements: Uint8Array[] = [
    element(0x0001, 'OB', Uint8Array.of(0x00, 0x01)),
    element(0x0002, 'UI', uidValue(meta.sopClassUid)),
    element(0x0003, 'UI', uidValue(meta.sopInstanceUid)),
    element(0x0010, 'UI', uidValue(meta.transferSyntaxUid)),
    element(0x0012, 'UI', uidValue(CLINFER_IMPLEMENTATION_CLASS_UID)),
    element(0x0013, 'SH', textValue(CLINFER_IMPLEMENTATION_VERSION)),
  ];
  if (meta.sourceAeTitle) elements.push(element(0x0016, 'AE', textValue(meta.sourceAeTitle)));
  const groupBody = sum(elements.map((e) => e.length));
  const groupLength = new Uint8Array(12);
  const glView = new DataView(groupLength.buffer);
  glView.setUint16(0, 0x0002, true);
  glView.setUint16(2, 0x0000, true);
  groupLength.set(encoder.encode('UL'), 4);
  glView.setUint16(6, 4, true);
  glView.setUint32(8, groupBody, true);

  const datasetLength = sum(dataset.map((c) => c.length));
  const out = new Uint8Array(PREAMBLE_LENGTH + 4 + groupLength.length + groupBody + datasetLength);
  out.set(encoder.encode('DICM'), PREAMBLE_LENGTH);
  let offset = PREAMBLE_LENGTH + 4;
  for (const part of [groupLength, ...elements, ...dataset]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function element(tagElement: number, vr: string, value: Uint8Array): Uint8Array {
  const long = LONG_VRS.has(vr);
  const header = long ? 12 : 8;
  const out = new Uint8Array(header + value.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0x0002, true);
  view.setUint16(2, tagElement, true);
  out.set(encoder.encode(vr), 4);
  if (long) view.setUint32(8, value.length, true);
  else view.setUint16(6, value.length, true);
  out.set(value, header);
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

function trimUid(raw: Uint8Array): string {
  return ascii.decode(raw).replace(/[\0 ]+$/, '');
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
