/**
 * Builds small DICOM Part 10 files for tests: explicit VR little endian elements, sequences, native or
 * encapsulated pixel data, optionally deflated. Only what the tests need; values are written as given,
 * so a test can also write malformed ones on purpose.
 */
import { deflateSync } from 'fflate';
import { explicitVrHeader } from '../../adapters/imaging/dicom/part10-framing.js';

export interface Element {
  readonly tag: number;
  readonly vr: string;
  /** Raw value bytes (the builder pads strings to even length, not raw bytes). */
  readonly value: Uint8Array;
  readonly items?: readonly (readonly Element[])[];
  readonly fragments?: readonly Uint8Array[];
}

export function text(tag: number, vr: string, value: string): Element {
  const padded = value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value;
  return { tag, vr, value: new TextEncoder().encode(padded) };
}

export function us(tag: number, ...values: number[]): Element {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  values.forEach((value, index) => view.setUint16(index * 2, value, true));
  return { tag, vr: 'US', value: bytes };
}

export function raw(tag: number, vr: string, value: Uint8Array): Element {
  return { tag, vr, value };
}

export function sequence(tag: number, items: readonly (readonly Element[])[]): Element {
  return { tag, vr: 'SQ', value: new Uint8Array(0), items };
}

/** Encapsulated PixelData: an empty Basic Offset Table, then one fragment per entry. */
export function encapsulated(fragments: readonly Uint8Array[]): Element {
  return { tag: 0x7fe00010, vr: 'OB', value: new Uint8Array(0), fragments };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The element header as clinfer frames it (the long-length VRs of PS3.5 7.1.2 take a 32-bit length). */
const header = explicitVrHeader;

function item(tag: number, length: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  view.setUint32(4, length, true);
  return bytes;
}

export function encodeElements(elements: readonly Element[]): Uint8Array {
  return concat([...elements].sort((a, b) => a.tag - b.tag).map(encodeElement));
}

function encodeElement(element: Element): Uint8Array {
  if (element.items) {
    const items = element.items.map((elements) => {
      const body = encodeElements(elements);
      return concat([item(0xfffee000, body.length), body]);
    });
    const body = concat(items);
    return concat([header(element.tag, 'SQ', body.length), body]);
  }
  if (element.fragments) {
    const parts = [header(element.tag, element.vr, 0xffffffff), item(0xfffee000, 0)];
    for (const fragment of element.fragments) parts.push(item(0xfffee000, fragment.length), fragment);
    parts.push(item(0xfffee0dd, 0));
    return concat(parts);
  }
  return concat([header(element.tag, element.vr, element.value.length), element.value]);
}

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED = '1.2.840.10008.1.2.1.99';

/** A Part 10 file: 128-byte preamble, 'DICM', file meta group (explicit VR LE), then the data set. */
export function part10(elements: readonly Element[], transferSyntax = EXPLICIT_VR_LITTLE_ENDIAN, options: { deflatedBody?: Uint8Array; meta?: readonly Element[] } = {}): Uint8Array {
  const meta = encodeElements([raw(0x00020001, 'OB', new Uint8Array([0, 1])), text(0x00020010, 'UI', transferSyntax), ...(options.meta ?? [])]);
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, meta.length, true);
  const body = options.deflatedBody ?? (transferSyntax === DEFLATED ? deflateSync(encodeElements(elements)) : encodeElements(elements));
  return concat([new Uint8Array(128), new TextEncoder().encode('DICM'), header(0x00020000, 'UL', 4), groupLength, meta, body]);
}

/** The Image Pixel module of a monochrome (or given) image, plus identifying UIDs. */
export function imageElements(options: {
  rows: number; columns: number; bitsAllocated?: number; bitsStored?: number; signed?: boolean; frames?: number;
  photometric?: string; samplesPerPixel?: number; planar?: number;
}): Element[] {
  const bitsAllocated = options.bitsAllocated ?? 16;
  const elements = [
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    text(0x00080018, 'UI', '1.2.3.4.5'),
    text(0x0020000d, 'UI', '1.2.3.4'),
    text(0x0020000e, 'UI', '1.2.3.4.1'),
    us(0x00280002, options.samplesPerPixel ?? 1),
    text(0x00280004, 'CS', options.photometric ?? 'MONOCHROME2'),
    us(0x00280010, options.rows),
    us(0x00280011, options.columns),
    us(0x00280100, bitsAllocated),
    us(0x00280101, options.bitsStored ?? bitsAllocated),
    us(0x00280102, (options.bitsStored ?? bitsAllocated) - 1),
    us(0x00280103, options.signed ? 1 : 0),
  ];
  if (options.frames !== undefined) elements.push(text(0x00280008, 'IS', String(options.frames)));
  if (options.planar !== undefined) elements.push(us(0x00280006, options.planar));
  return elements;
}

/** Native 16-bit little endian pixel data from values. */
export function words16(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  values.forEach((value, index) => view.setUint16(index * 2, value & 0xffff, true));
  return bytes;
}
