import { UNDEFINED_LENGTH, type DataSet, type DicomElement, type Fragment } from './data-set.js';
import { imageTooLarge, invalidDicom } from './errors.js';
import { LONG_LENGTH_VRS } from './part10-framing.js';
import { describeTag, sequenceTags, Tag } from './tags.js';

/**
 * A bounded DICOM data set reader (PS3.5 7.1-7.5, A.4): explicit or implicit VR, either byte order,
 * sequences of defined and undefined length, encapsulated pixel data. It never reads past the buffer,
 * makes progress on every element, caps the element count and nesting depth, and reports what is wrong
 * with the element and byte offset, so that arbitrary bytes end in an ImagingInputError, never a hang.
 */

/** More elements than any real header has (enhanced multi-frame headers reach tens of thousands). */
export const MAX_ELEMENTS = 1_000_000;
/** Sequences nest a few levels in images; deep SR trees stay well below this. */
export const MAX_DEPTH = 64;

export interface Encoding {
  readonly littleEndian: boolean;
  readonly explicitVR: boolean;
}


/** Every VR of PS3.5 6.2, for telling explicit from implicit encoding by the first element. */
export const KNOWN_VRS: ReadonlySet<string> = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

interface Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly littleEndian: boolean;
  elementCount: number;
}

export interface ParseRange {
  readonly start: number;
  readonly end: number;
  /** Stop before the first element whose group is not this one (the file meta group 0002). */
  readonly onlyGroup?: number;
}

/** Parses the elements in bytes[start, end). Returns the data set and where parsing stopped. */
export function parseDataSet(bytes: Uint8Array, encoding: Encoding, range: ParseRange): { dataSet: DataSet; end: number } {
  const reader: Reader = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), littleEndian: encoding.littleEndian, elementCount: 0 };
  const { elements, end } = readElements(reader, range.start, range.end, encoding.explicitVR, 0, false, range.onlyGroup);
  return { dataSet: { bytes, littleEndian: encoding.littleEndian, elements }, end };
}

/** Whether the two bytes at `offset` spell a known VR (used to detect an encoding that contradicts the transfer syntax). */
export function looksLikeExplicitVR(bytes: Uint8Array, offset: number): boolean {
  if (offset + 2 > bytes.length) return false;
  return KNOWN_VRS.has(String.fromCharCode(bytes[offset]!, bytes[offset + 1]!));
}

function readTag(reader: Reader, offset: number): number {
  const group = reader.view.getUint16(offset, reader.littleEndian);
  const element = reader.view.getUint16(offset + 2, reader.littleEndian);
  return ((group << 16) | element) >>> 0;
}

function countElement(reader: Reader): void {
  reader.elementCount += 1;
  if (reader.elementCount > MAX_ELEMENTS) throw imageTooLarge(`the data set holds more than ${MAX_ELEMENTS} elements`);
}

function readElements(
  reader: Reader, start: number, end: number, explicitVR: boolean, depth: number, delimited: boolean, onlyGroup?: number,
): { elements: Map<number, DicomElement>; end: number } {
  if (depth > MAX_DEPTH) throw invalidDicom(`sequences are nested deeper than ${MAX_DEPTH} levels at byte ${start}`);
  const elements = new Map<number, DicomElement>();
  let position = start;
  while (position < end) {
    // The file meta group ends where another group starts (or the data set is too short to hold one).
    if (onlyGroup !== undefined && (position + 4 > end || readTag(reader, position) >>> 16 !== onlyGroup)) break;
    if (position + 8 > end) throw invalidDicom(`element header at byte ${position} is cut off: ${end - position} bytes remain, 8 needed`);
    const tag = readTag(reader, position);
    if (tag === Tag.ItemDelimitationItem && delimited) return { elements, end: position + 8 };
    if (tag >>> 16 === 0xfffe) throw invalidDicom(`unexpected ${describeTag(tag)} at byte ${position} outside a sequence item`);
    countElement(reader);
    const element = explicitVR ? readExplicitElement(reader, tag, position, end, depth) : readImplicitElement(reader, tag, position, end, depth);
    if (!elements.has(tag)) elements.set(tag, element.element);
    position = element.next;
  }
  if (delimited) throw invalidDicom(`sequence item starting at byte ${start} has no item delimiter before byte ${end}`);
  return { elements, end: position };
}

interface ReadResult {
  readonly element: DicomElement;
  readonly next: number;
}

function readExplicitElement(reader: Reader, tag: number, position: number, end: number, depth: number): ReadResult {
  const vr = String.fromCharCode(reader.bytes[position + 4]!, reader.bytes[position + 5]!);
  if (!/^[A-Z]{2}$/.test(vr)) {
    const shown = [reader.bytes[position + 4]!, reader.bytes[position + 5]!].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    throw invalidDicom(`element ${describeTag(tag)} at byte ${position} has VR bytes ${shown}, not a value representation`);
  }
  let length: number;
  let valueOffset: number;
  if (LONG_LENGTH_VRS.has(vr)) {
    if (position + 12 > end) throw invalidDicom(`element ${describeTag(tag)} at byte ${position} is cut off: its ${vr} header needs 12 bytes, ${end - position} remain`);
    length = reader.view.getUint32(position + 8, reader.littleEndian);
    valueOffset = position + 12;
  } else {
    length = reader.view.getUint16(position + 6, reader.littleEndian);
    valueOffset = position + 8;
  }
  if (length === UNDEFINED_LENGTH) {
    if (tag === Tag.PixelData) return readEncapsulated(reader, tag, vr, valueOffset, end);
    // An undefined-length UN holds a sequence encoded in implicit VR little endian (PS3.5 6.2.2 note).
    if (vr === 'SQ') return readSequence(reader, tag, vr, valueOffset, length, end, true, depth);
    if (vr === 'UN') return readSequence(reader, tag, vr, valueOffset, length, end, false, depth);
    throw invalidDicom(`element ${describeTag(tag)} at byte ${position} has undefined length, which VR ${vr} does not allow`);
  }
  checkFits(tag, position, valueOffset, length, end, depth);
  if (vr === 'SQ') return readSequence(reader, tag, vr, valueOffset, length, end, true, depth);
  // Some converters write known sequences as UN of defined length; their items are implicit VR.
  if (vr === 'UN' && sequenceTags.has(tag) && startsWithItem(reader, valueOffset, length)) return readSequence(reader, tag, vr, valueOffset, length, end, false, depth);
  return plain(tag, vr, valueOffset, length, end, depth);
}

function readImplicitElement(reader: Reader, tag: number, position: number, end: number, depth: number): ReadResult {
  const length = reader.view.getUint32(position + 4, reader.littleEndian);
  const valueOffset = position + 8;
  if (length === UNDEFINED_LENGTH) {
    if (tag === Tag.PixelData) return readEncapsulated(reader, tag, 'OB', valueOffset, end);
    return readSequence(reader, tag, 'SQ', valueOffset, length, end, false, depth);
  }
  checkFits(tag, position, valueOffset, length, end, depth);
  if (sequenceTags.has(tag) && startsWithItem(reader, valueOffset, length)) return readSequence(reader, tag, 'SQ', valueOffset, length, end, false, depth);
  return plain(tag, tag === Tag.PixelData ? 'OW' : '', valueOffset, length, end, depth);
}

function startsWithItem(reader: Reader, offset: number, length: number): boolean {
  return length >= 8 && readTag(reader, offset) === Tag.Item;
}

/**
 * A defined-length value that runs past its container is an error, except the top-level PixelData:
 * that one is kept short so the pixel stage can say how many bytes it holds against how many it needs.
 */
function checkFits(tag: number, position: number, valueOffset: number, length: number, end: number, depth: number): void {
  if (valueOffset + length <= end) return;
  if (tag === Tag.PixelData && depth === 0) return;
  const where = depth === 0 ? 'the file is truncated' : 'it overruns its sequence item';
  throw invalidDicom(`element ${describeTag(tag)} at byte ${position} declares ${length} bytes but only ${end - valueOffset} remain (${where})`);
}

function plain(tag: number, vr: string, offset: number, declaredLength: number, end: number, depth: number): ReadResult {
  const length = depth === 0 ? Math.min(declaredLength, end - offset) : declaredLength;
  return { element: { tag, vr, offset, length, declaredLength }, next: offset + length };
}

function readSequence(
  reader: Reader, tag: number, vr: string, offset: number, declaredLength: number, end: number, explicitVR: boolean, depth: number,
): ReadResult {
  const undefinedLength = declaredLength === UNDEFINED_LENGTH;
  const limit = undefinedLength ? end : offset + declaredLength;
  const items: DataSet[] = [];
  let position = offset;
  for (;;) {
    if (position === limit && !undefinedLength) break;
    if (position + 8 > limit) throw invalidDicom(`sequence ${describeTag(tag)} is cut off at byte ${position}: ${undefinedLength ? 'no sequence delimiter before the end of the data' : 'its items overrun its length'}`);
    const itemTag = readTag(reader, position);
    const itemLength = reader.view.getUint32(position + 4, reader.littleEndian);
    if (itemTag === Tag.SequenceDelimitationItem && undefinedLength) {
      position += 8;
      break;
    }
    if (itemTag !== Tag.Item) throw invalidDicom(`sequence ${describeTag(tag)} holds ${describeTag(itemTag)} at byte ${position} where an item (fffe,e000) was expected`);
    countElement(reader);
    const itemStart = position + 8;
    if (itemLength === UNDEFINED_LENGTH) {
      const item = readElements(reader, itemStart, limit, explicitVR, depth + 1, true);
      items.push({ bytes: reader.bytes, littleEndian: reader.littleEndian, elements: item.elements });
      position = item.end;
    } else {
      if (itemStart + itemLength > limit) throw invalidDicom(`item of sequence ${describeTag(tag)} at byte ${position} declares ${itemLength} bytes but only ${limit - itemStart} remain`);
      const item = readElements(reader, itemStart, itemStart + itemLength, explicitVR, depth + 1, false);
      items.push({ bytes: reader.bytes, littleEndian: reader.littleEndian, elements: item.elements });
      position = itemStart + itemLength;
    }
  }
  return { element: { tag, vr, offset, length: position - offset, declaredLength, items }, next: position };
}

/** Encapsulated pixel data (PS3.5 A.4): a Basic Offset Table item, fragment items, a sequence delimiter. */
function readEncapsulated(reader: Reader, tag: number, vr: string, offset: number, end: number): ReadResult {
  const items: Fragment[] = [];
  let position = offset;
  for (;;) {
    // A missing sequence delimiter at the very end of the file is a common, harmless defect.
    if (position === end && items.length > 0) break;
    if (position + 8 > end) throw invalidDicom(`encapsulated PixelData is cut off at byte ${position}: no sequence delimiter before the end of the file`);
    const itemTag = readTag(reader, position);
    const itemLength = reader.view.getUint32(position + 4, reader.littleEndian);
    if (itemTag === Tag.SequenceDelimitationItem) {
      position += 8;
      break;
    }
    if (itemTag !== Tag.Item) throw invalidDicom(`encapsulated PixelData holds ${describeTag(itemTag)} at byte ${position} where a fragment item (fffe,e000) was expected`);
    if (itemLength === UNDEFINED_LENGTH) throw invalidDicom(`PixelData fragment ${items.length} at byte ${position} has undefined length`);
    if (position + 8 + itemLength > end) throw invalidDicom(`PixelData fragment ${items.length} at byte ${position} declares ${itemLength} bytes but only ${end - position - 8} remain (the file is truncated)`);
    countElement(reader);
    items.push({ offset: position + 8, length: itemLength });
    position += 8 + itemLength;
  }
  const [basicOffsetTable, ...fragments] = items;
  if (!basicOffsetTable) throw invalidDicom('encapsulated PixelData has no Basic Offset Table item');
  return { element: { tag, vr, offset, length: position - offset, declaredLength: UNDEFINED_LENGTH, encapsulated: { basicOffsetTable, fragments } }, next: position };
}
