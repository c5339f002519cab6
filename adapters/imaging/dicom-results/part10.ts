import { DICTIONARY, type Dataset, type DicomValue, type Keyword, type Vr } from './dictionary.js';
import { framePart10, LONG_LENGTH_VRS } from '../dicom/part10-framing.js';
import { DicomResultError } from './errors.js';
import { isValidUid } from './uid.js';
import { formatDecimalString, formatIntegerString } from './values.js';

/**
 * Writes a data set as a DICOM Part 10 file (PS3.10): 128-byte preamble, "DICM", File Meta Information, then the
 * data set in Explicit VR Little Endian with defined lengths. Every text value is UTF-8: the builders set
 * Specific Character Set to ISO_IR 192. Pure: no I/O, runs in a worker or a browser. The framing is
 * ../dicom/part10-framing.ts, shared with the reader and the PACS side.
 */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

const TEXT_VRS = new Set<Vr>(['LT', 'ST', 'UT']); // may hold backslashes and line breaks; single-valued
/** Maximum characters per value (PS3.5 Table 6.2-1); PN is per component group. */
const MAX_CHARS: Partial<Record<Vr, number>> = {
  AE: 16, AS: 4, CS: 16, DA: 8, DS: 16, DT: 26, IS: 12, LO: 64, LT: 10240, PN: 64, SH: 16, ST: 1024, TM: 14, UI: 64,
};
const INTEGER_RANGES = { US: [0, 0xffff], SS: [-0x8000, 0x7fff], UL: [0, 0xffffffff], SL: [-(2 ** 31), 2 ** 31 - 1] } as const;
const utf8 = new TextEncoder();

class ByteSink {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  get length(): number { return this.#length; }

  bytes(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#length += bytes.length;
  }

  u16(value: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, value, true);
    this.bytes(b);
  }

  u32(value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value, true);
    this.bytes(b);
  }

  tag(tag: number): void {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const part of this.#parts) { out.set(part, offset); offset += part.length; }
    return out;
  }
}

function invalid(keyword: string, message: string): DicomResultError {
  return new DicomResultError('RESULT_INVALID_VALUE', `${keyword}: ${message}`);
}

function stringValues(keyword: Keyword, vr: Vr, value: DicomValue): string[] {
  const list = (Array.isArray(value) ? value : [value]) as readonly (string | number)[];
  return list.map((item, i) => {
    const field = list.length > 1 ? `${keyword}[${i}]` : keyword;
    if (typeof item === 'number') {
      if (vr === 'DS') return formatDecimalString(item, field);
      if (vr === 'IS') return formatIntegerString(item, field);
      throw invalid(field, `a number is not a ${vr} value`);
    }
    if (typeof item !== 'string') throw invalid(field, `expected text for VR ${vr}`);
    const max = MAX_CHARS[vr];
    const lengths = vr === 'PN' ? item.split('=').map((group) => Array.from(group).length) : [Array.from(item).length];
    if (max !== undefined && lengths.some((n) => n > max)) throw invalid(field, `at most ${max} characters for VR ${vr}, got ${Math.max(...lengths)}`);
    if (!TEXT_VRS.has(vr) && item.includes('\\')) throw invalid(field, 'a backslash separates values; it cannot be part of one');
    if (!TEXT_VRS.has(vr) && /[\u0000-\u001f]/.test(item)) throw invalid(field, 'control characters are not allowed');
    if (vr === 'CS' && !/^[A-Z0-9 _]*$/.test(item)) throw invalid(field, `CS allows A-Z, 0-9, space and underscore, got ${JSON.stringify(item)}`);
    if (vr === 'UI' && !isValidUid(item)) throw invalid(field, `not a valid UID: ${JSON.stringify(item)}`);
    return item;
  });
}

function encodeValue(keyword: Keyword, vr: Vr, value: DicomValue): Uint8Array {
  if (value === null) return new Uint8Array(0);
  switch (vr) {
    case 'OB': {
      if (!(value instanceof Uint8Array)) throw invalid(keyword, 'expected bytes (Uint8Array) for VR OB');
      if (value.length % 2 === 0) return value;
      const padded = new Uint8Array(value.length + 1);
      padded.set(value);
      return padded;
    }
    case 'US': case 'UL': case 'SS': case 'SL': case 'FL': case 'FD': case 'AT': {
      const numbers = (Array.isArray(value) ? value : [value]) as readonly unknown[];
      const size = vr === 'FD' ? 8 : vr === 'US' || vr === 'SS' ? 2 : 4;
      const bytes = new Uint8Array(numbers.length * size);
      const view = new DataView(bytes.buffer);
      numbers.forEach((n, i) => {
        if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(keyword, `expected a finite number for VR ${vr}`);
        const at = i * size;
        if (vr === 'FD') view.setFloat64(at, n, true);
        else if (vr === 'FL') view.setFloat32(at, n, true);
        else if (vr === 'AT') { view.setUint16(at, n >>> 16, true); view.setUint16(at + 2, n & 0xffff, true); }
        else {
          const [min, max] = INTEGER_RANGES[vr];
          if (!Number.isInteger(n) || n < min || n > max) throw invalid(keyword, `${n} is not a ${vr} integer`);
          if (vr === 'US') view.setUint16(at, n, true);
          else if (vr === 'SS') view.setInt16(at, n, true);
          else if (vr === 'UL') view.setUint32(at, n, true);
          else view.setInt32(at, n, true);
        }
      });
      return bytes;
    }
    default: {
      const text = utf8.encode(stringValues(keyword, vr, value).join('\\'));
      if (text.length % 2 === 0) return text;
      const padded = new Uint8Array(text.length + 1);
      padded.set(text);
      padded[text.length] = vr === 'UI' ? 0x00 : 0x20;
      return padded;
    }
  }
}

function writeElement(sink: ByteSink, keyword: Keyword, value: DicomValue): void {
  const [tag, vr] = DICTIONARY[keyword] as readonly [number, Vr];
  const body = vr === 'SQ' ? encodeSequence(keyword, value) : encodeValue(keyword, vr, value);
  sink.tag(tag);
  sink.bytes(utf8.encode(vr));
  if (LONG_LENGTH_VRS.has(vr)) {
    sink.u16(0);
    sink.u32(body.length);
  } else {
    if (body.length > 0xffff) throw invalid(keyword, `${body.length} bytes do not fit a VR ${vr} element`);
    sink.u16(body.length);
  }
  sink.bytes(body);
}

function encodeSequence(keyword: Keyword, value: DicomValue): Uint8Array {
  if (value !== null && !Array.isArray(value)) throw invalid(keyword, 'expected an array of items for a sequence');
  const sink = new ByteSink();
  for (const item of (value ?? []) as readonly Dataset[]) {
    const body = encodeDataset(item);
    sink.tag(0xfffee000);
    sink.u32(body.length);
    sink.bytes(body);
  }
  return sink.concat();
}

/** The data set's elements in ascending tag order, as PS3.5 7.1 requires. */
export function encodeDataset(dataset: Dataset): Uint8Array {
  const entries = (Object.entries(dataset) as [Keyword, DicomValue | undefined][])
    .filter((entry): entry is [Keyword, DicomValue] => entry[1] !== undefined);
  for (const [keyword] of entries) {
    if (!(keyword in DICTIONARY)) throw new Error(`dicom-results: '${keyword}' is not in the writer's dictionary`);
  }
  entries.sort(([a], [b]) => DICTIONARY[a][0] - DICTIONARY[b][0]);
  const sink = new ByteSink();
  for (const [keyword, value] of entries) writeElement(sink, keyword, value);
  return sink.concat();
}

export function writePart10(dataset: Dataset): Uint8Array {
  const { SOPClassUID, SOPInstanceUID } = dataset;
  if (typeof SOPClassUID !== 'string' || typeof SOPInstanceUID !== 'string') {
    throw new Error('dicom-results: a Part 10 file needs SOPClassUID and SOPInstanceUID');
  }
  // Encoded first: it validates both UIDs, which the file meta repeats.
  const body = encodeDataset(dataset);
  return framePart10({ sopClassUid: SOPClassUID, sopInstanceUid: SOPInstanceUID, transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN }, [body]);
}
