import { UNDEFINED_LENGTH, type DataSet, type DicomElement, type Fragment } from './data-set.js';
import type { Part10File } from './part10.js';

/**
 * Where every element of a parsed Part 10 file lies in its bytes, packed into flat Uint32 arrays: cheap to
 * keep per instance and to send to a worker thread (one copy, no object graph), so that a file parsed once
 * (on the main thread, to route it) is not parsed again where its pixels are decoded.
 *
 * Each data set is packed as [element count, elements...]; an element as [tag, VR (two char codes), value
 * offset, length, declared length, kind], followed for kind SEQUENCE by [item count, items...] and for kind
 * ENCAPSULATED by [offset table offset, offset table length, fragment count, (offset, length)...].
 */
export interface HeaderLayout {
  /** Length of the bytes it was read from: a layout applies to those bytes only. */
  readonly byteLength: number;
  readonly transferSyntaxUID: string;
  readonly littleEndian: boolean;
  readonly meta: Uint32Array;
  readonly dataSet: Uint32Array;
}

const PLAIN = 0;
const SEQUENCE = 1;
const ENCAPSULATED = 2;

/**
 * The layout of a parsed file, or undefined when its data set does not lie in `bytes` (a deflated data set
 * lies in the inflated buffer, which is not kept: that file is parsed again where it is decoded).
 */
export function headerLayout(file: Part10File, bytes: Uint8Array): HeaderLayout | undefined {
  if (file.dataSet.bytes !== bytes || file.meta.bytes !== bytes) return undefined;
  return { byteLength: bytes.length, transferSyntaxUID: file.transferSyntaxUID, littleEndian: file.dataSet.littleEndian, meta: pack(file.meta), dataSet: pack(file.dataSet) };
}

/** The parsed file again, from its layout and the very bytes it was read from (checked by length). */
export function part10FromLayout(layout: HeaderLayout, bytes: Uint8Array): Part10File | undefined {
  if (bytes.length !== layout.byteLength) return undefined;
  return {
    transferSyntaxUID: layout.transferSyntaxUID,
    meta: unpack(layout.meta, { at: 0 }, bytes, true),
    dataSet: unpack(layout.dataSet, { at: 0 }, bytes, layout.littleEndian),
  };
}

function pack(dataSet: DataSet): Uint32Array {
  const out: number[] = [];
  packInto(dataSet, out);
  return Uint32Array.from(out);
}

function packInto(dataSet: DataSet, out: number[]): void {
  out.push(dataSet.elements.size);
  for (const element of dataSet.elements.values()) {
    const vr = element.vr.length === 2 ? (element.vr.charCodeAt(0) << 8) | element.vr.charCodeAt(1) : 0;
    const kind = element.items ? SEQUENCE : element.encapsulated ? ENCAPSULATED : PLAIN;
    out.push(element.tag, vr, element.offset, element.length, element.declaredLength, kind);
    if (element.items) {
      out.push(element.items.length);
      for (const item of element.items) packInto(item, out);
    } else if (element.encapsulated) {
      const { basicOffsetTable, fragments } = element.encapsulated;
      out.push(basicOffsetTable.offset, basicOffsetTable.length, fragments.length);
      for (const fragment of fragments) out.push(fragment.offset, fragment.length);
    }
  }
}

function unpack(packed: Uint32Array, cursor: { at: number }, bytes: Uint8Array, littleEndian: boolean): DataSet {
  const count = packed[cursor.at++]!;
  const elements = new Map<number, DicomElement>();
  for (let n = 0; n < count; n++) {
    const tag = packed[cursor.at++]!;
    const code = packed[cursor.at++]!;
    const vr = code === 0 ? '' : String.fromCharCode(code >>> 8, code & 0xff);
    const offset = packed[cursor.at++]!;
    const length = packed[cursor.at++]!;
    const declaredLength = packed[cursor.at++]!;
    const kind = packed[cursor.at++]!;
    const base = { tag, vr, offset, length, declaredLength };
    if (kind === SEQUENCE) {
      const items: DataSet[] = [];
      const itemCount = packed[cursor.at++]!;
      for (let i = 0; i < itemCount; i++) items.push(unpack(packed, cursor, bytes, littleEndian));
      elements.set(tag, { ...base, items });
    } else if (kind === ENCAPSULATED) {
      const basicOffsetTable = { offset: packed[cursor.at++]!, length: packed[cursor.at++]! };
      const fragmentCount = packed[cursor.at++]!;
      const fragments: Fragment[] = [];
      for (let i = 0; i < fragmentCount; i++) fragments.push({ offset: packed[cursor.at++]!, length: packed[cursor.at++]! });
      elements.set(tag, { ...base, declaredLength: UNDEFINED_LENGTH, encapsulated: { basicOffsetTable, fragments } });
    } else {
      elements.set(tag, base);
    }
  }
  return { bytes, littleEndian, elements };
}
