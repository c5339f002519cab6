import { ImagingInputError } from '../raster.js';

/**
 * Text values by Specific Character Set (0008,0005), PS3.3 C.12.1.1.2 and PS3.5 6.1: the single-byte
 * ISO 8859 sets, JIS X 0201, TIS 620, ISO 2022 with code extensions (JIS X 0208/0212, KS X 1001, GB 2312 and
 * the single-byte sets as G1), GB18030, GBK and UTF-8. The tables are the platform's TextDecoder (the WHATWG
 * Encoding Standard, in Node's ICU and in every browser), so the server and the browser app decode alike
 * with no dependency. A term it does not know, a byte outside the declared repertoire or an unknown escape
 * sequence is refused (UNSUPPORTED_CHARACTER_SET or INVALID_DICOM naming the element), never guessed.
 */

class Undecodable extends Error {}

/** A strict WHATWG decoder: bytes that are no character of the encoding throw. */
function decoderFor(label: string): (run: Uint8Array) => string {
  let decoder: { decode(input: Uint8Array): string } | undefined;
  return (run) => {
    decoder ??= new TextDecoder(label, { fatal: true });
    try {
      return decoder.decode(run);
    } catch {
      throw new Undecodable();
    }
  };
}

/** A code element: what G0 or G1 holds. `bytes` is how many bytes make one character. */
interface CodeElement {
  readonly name: string;
  readonly bytes: 1 | 2;
  /** Decodes a run of this element's characters (G0 bytes already moved to 0xA0-0xFF where the table wants EUC form). */
  readonly decode: (run: Uint8Array) => string;
}

const ASCII: CodeElement = { name: 'ISO 646 (ASCII)', bytes: 1, decode: (run) => String.fromCharCode(...run) };
/** JIS X 0201 Romaji: ASCII with YEN SIGN for 0x5C and OVERLINE for 0x7E. */
const ROMAJI: CodeElement = { name: 'JIS X 0201 Romaji', bytes: 1, decode: (run) => Array.from(run, (b) => (b === 0x5c ? '\u00a5' : b === 0x7e ? '\u203e' : String.fromCharCode(b))).join('') };
/** JIS X 0201 Katakana in G1 (0xA1-0xDF): the half-width katakana block. */
const KATAKANA: CodeElement = {
  name: 'JIS X 0201 Katakana', bytes: 1,
  decode: (run) => Array.from(run, (b) => { if (b < 0xa1 || b > 0xdf) throw new Undecodable(); return String.fromCharCode(0xff61 + b - 0xa1); }).join(''),
};
/**
 * ISO 8859 in G1. 0x80-0x9F are C1 control codes there, never characters of a text value; they are refused
 * before the WHATWG decoder sees them (its "iso-8859-1", "-9" and "tis-620" are the Windows supersets).
 */
function singleByteG1(name: string, label: string): CodeElement {
  const decode = decoderFor(label);
  return { name, bytes: 1, decode: (run) => { if (run.some((b) => b < 0xa0)) throw new Undecodable(); return decode(run); } };
}
const ISO_8859_LABELS: Record<number, string> = { 1: 'iso-8859-1', 2: 'iso-8859-2', 3: 'iso-8859-3', 4: 'iso-8859-4', 5: 'iso-8859-5', 6: 'iso-8859-6', 7: 'iso-8859-7', 8: 'iso-8859-8', 9: 'iso-8859-9', 15: 'iso-8859-15' };
const iso8859 = (part: number): CodeElement => singleByteG1(`ISO 8859-${part}`, ISO_8859_LABELS[part]!);
const TIS620: CodeElement = singleByteG1('TIS 620-2533 (Thai)', 'tis-620');
// JIS X 0208 and 0212 in G0 (0x21-0x7E pairs) become EUC-JP by setting the high bits (0212 with the SS3 prefix).
const eucJp = decoderFor('euc-jp');
const JIS_X_0208: CodeElement = { name: 'JIS X 0208 (Kanji)', bytes: 2, decode: (run) => eucJp(run.map((b) => b | 0x80)) };
const JIS_X_0212: CodeElement = {
  name: 'JIS X 0212 (supplementary Kanji)', bytes: 2,
  decode: (run) => {
    const euc: number[] = [];
    for (let i = 0; i + 1 < run.length; i += 2) euc.push(0x8f, run[i]! | 0x80, run[i + 1]! | 0x80);
    return eucJp(new Uint8Array(euc));
  },
};
// KS X 1001 and GB 2312 are designated to G1: their bytes arrive with the high bit set, as in EUC-KR and EUC-CN.
const KS_X_1001: CodeElement = { name: 'KS X 1001 (Hangul and Hanja)', bytes: 2, decode: decoderFor('euc-kr') };
const GB2312: CodeElement = { name: 'GB 2312', bytes: 2, decode: decoderFor('gbk') };

/** PS3.3 Table C.12-2: single-byte sets without code extensions: [G0, G1]. */
const SINGLE_BYTE: Record<string, readonly [CodeElement, CodeElement | undefined]> = {
  'ISO_IR 6': [ASCII, undefined],
  'ISO_IR 100': [ASCII, iso8859(1)],
  'ISO_IR 101': [ASCII, iso8859(2)],
  'ISO_IR 109': [ASCII, iso8859(3)],
  'ISO_IR 110': [ASCII, iso8859(4)],
  'ISO_IR 144': [ASCII, iso8859(5)],
  'ISO_IR 127': [ASCII, iso8859(6)],
  'ISO_IR 126': [ASCII, iso8859(7)],
  'ISO_IR 138': [ASCII, iso8859(8)],
  'ISO_IR 148': [ASCII, iso8859(9)],
  'ISO_IR 203': [ASCII, iso8859(15)],
  'ISO_IR 13': [ROMAJI, KATAKANA],
  'ISO_IR 166': [ASCII, TIS620],
};

/** PS3.3 Tables C.12-3 and C.12-4: the escape sequences (after ESC) of each ISO 2022 term, and what they designate. */
interface Designation { readonly escape: string; readonly g: 0 | 1; readonly element: CodeElement }
const ISO_2022: Record<string, readonly Designation[]> = {
  'ISO 2022 IR 6': [{ escape: '(B', g: 0, element: ASCII }],
  'ISO 2022 IR 100': [{ escape: '-A', g: 1, element: iso8859(1) }],
  'ISO 2022 IR 101': [{ escape: '-B', g: 1, element: iso8859(2) }],
  'ISO 2022 IR 109': [{ escape: '-C', g: 1, element: iso8859(3) }],
  'ISO 2022 IR 110': [{ escape: '-D', g: 1, element: iso8859(4) }],
  'ISO 2022 IR 144': [{ escape: '-L', g: 1, element: iso8859(5) }],
  'ISO 2022 IR 127': [{ escape: '-G', g: 1, element: iso8859(6) }],
  'ISO 2022 IR 126': [{ escape: '-F', g: 1, element: iso8859(7) }],
  'ISO 2022 IR 138': [{ escape: '-H', g: 1, element: iso8859(8) }],
  'ISO 2022 IR 148': [{ escape: '-M', g: 1, element: iso8859(9) }],
  'ISO 2022 IR 203': [{ escape: '-b', g: 1, element: iso8859(15) }],
  'ISO 2022 IR 13': [{ escape: ')I', g: 1, element: KATAKANA }, { escape: '(J', g: 0, element: ROMAJI }],
  'ISO 2022 IR 166': [{ escape: '-T', g: 1, element: TIS620 }],
  'ISO 2022 IR 87': [{ escape: '$B', g: 0, element: JIS_X_0208 }],
  'ISO 2022 IR 159': [{ escape: '$(D', g: 0, element: JIS_X_0212 }],
  'ISO 2022 IR 149': [{ escape: '$)C', g: 1, element: KS_X_1001 }],
  'ISO 2022 IR 58': [{ escape: '$)A', g: 1, element: GB2312 }],
};
const ESCAPES = new Map<string, Designation>(Object.values(ISO_2022).flat().map((d) => [d.escape, d]));

/** How the text values of one data set are read. */
export type CharacterSet =
  | { readonly kind: 'single'; readonly term: string; readonly g0: CodeElement; readonly g1: CodeElement | undefined; readonly lenient: boolean }
  | { readonly kind: 'iso2022'; readonly terms: readonly string[]; readonly g0: CodeElement; readonly g1: CodeElement | undefined }
  | { readonly kind: 'multibyte'; readonly term: string; readonly encoding: 'utf-8' | 'gb18030' | 'gbk' };

/**
 * No Specific Character Set means the default repertoire (ISO 646). Bytes above 0x7F are then read as
 * Latin-1 (Windows-1252), as dcmtk and pydicom do for files that use Latin-1 without saying so; every
 * declared set is strict.
 */
const UNDECLARED_LATIN1: CodeElement = { name: 'Latin-1 (undeclared)', bytes: 1, decode: decoderFor('windows-1252') };
export const DEFAULT_CHARACTER_SET: CharacterSet = { kind: 'single', term: '(none)', g0: ASCII, g1: UNDECLARED_LATIN1, lenient: true };

function unsupported(message: string): ImagingInputError {
  return new ImagingInputError('UNSUPPORTED_CHARACTER_SET', message);
}

/** "ISO-IR 100", "ISO IR 100" and "iso_ir 100" are common misspellings of "ISO_IR 100"; they are read as meant. */
function normalizeTerm(term: string): string {
  const trimmed = term.trim().toUpperCase();
  const single = /^ISO[ _-]?IR[ _-]?(\d+)$/.exec(trimmed);
  if (single) return `ISO_IR ${single[1]}`;
  const extended = /^ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)$/.exec(trimmed);
  if (extended) return `ISO 2022 IR ${extended[1]}`;
  return trimmed;
}

/** The term as shown in a message: printable ASCII, cut short. */
const shownTerm = (term: string) => term.replace(/[^\x20-\x7e]/g, '?').slice(0, 32);

/**
 * Reads (0008,0005): undefined (absent or empty) is the default repertoire. Refuses a term clinfer cannot
 * decode, naming it.
 */
export function characterSetOf(value: string | undefined): CharacterSet {
  if (value === undefined || value.trim() === '') return DEFAULT_CHARACTER_SET;
  const raw = value.split('\\');
  const terms = raw.map(normalizeTerm);
  if (terms.length === 1) {
    const term = terms[0]!;
    if (term === 'ISO_IR 192') return { kind: 'multibyte', term, encoding: 'utf-8' };
    if (term === 'GB18030') return { kind: 'multibyte', term, encoding: 'gb18030' };
    if (term === 'GBK') return { kind: 'multibyte', term, encoding: 'gbk' };
    const single = SINGLE_BYTE[term];
    if (single) return { kind: 'single', term, g0: single[0], g1: single[1], lenient: false };
  }
  // Code extensions: value 1 (possibly empty: the default repertoire) is the initial designation.
  for (const [index, term] of terms.entries()) {
    if (term === '' && index === 0) continue;
    if (ISO_2022[term]) continue;
    if (['ISO_IR 192', 'GB18030', 'GBK'].includes(term)) throw unsupported(`Specific Character Set (0008,0005) lists '${term}' among several values; it allows no code extensions (PS3.3 C.12.1.1.2)`);
    if (SINGLE_BYTE[term] && terms.length > 1) throw unsupported(`Specific Character Set (0008,0005) value ${index + 1} is '${shownTerm(raw[index]!)}'; with several values each must be an ISO 2022 term (e.g. 'ISO 2022 IR 100')`);
    throw unsupported(`Specific Character Set (0008,0005) value ${index + 1} '${shownTerm(raw[index]!)}' is not a character set clinfer can decode (PS3.3 C.12.1.1.2 Defined Terms)`);
  }
  let g0: CodeElement = ASCII;
  let g1: CodeElement | undefined;
  for (const designation of ISO_2022[terms[0]!] ?? []) {
    if (designation.g === 0) g0 = designation.element;
    else g1 = designation.element;
  }
  return { kind: 'iso2022', terms, g0, g1 };
}

const ESC = 0x1b;
/** Control characters after which ISO 2022 designations return to the initial state (PS3.5 6.1.2.5.3). */
const RESETS = new Set([0x0a, 0x0c, 0x0d, 0x09, 0x5c /* \ value separator */]);
const PN_RESETS = new Set([...RESETS, 0x5e /* ^ */, 0x3d /* = */]);
const MULTIBYTE = { 'utf-8': decoderFor('utf-8'), gb18030: decoderFor('gb18030'), gbk: decoderFor('gbk') } as const;

/**
 * Decodes one element's value bytes. `personName` also resets designations at '^' and '=' (PN components
 * and groups). `field` names the element in a refusal ("PatientName (0010,0010)").
 */
export function decodeText(bytes: Uint8Array, charset: CharacterSet, field: string, personName = false): string {
  if (charset.kind === 'multibyte') return checked(() => MULTIBYTE[charset.encoding](bytes), field, charset.term);
  if (charset.kind === 'single') {
    if (bytes.includes(ESC)) throw new ImagingInputError('INVALID_DICOM', `${field} holds an escape sequence, but Specific Character Set ${charset.term} allows no code extensions`);
    return decodeRuns(bytes, charset.g0, charset.g1, field, charset.lenient ? 'ISO_IR 100 (undeclared)' : charset.term);
  }
  return decodeIso2022(bytes, charset, field, personName ? PN_RESETS : RESETS);
}

function checked(decode: () => string, field: string, term: string): string {
  try {
    return decode();
  } catch (error) {
    if (error instanceof Undecodable) throw new ImagingInputError('INVALID_DICOM', `${field} holds bytes that are not characters of ${term}, its Specific Character Set`);
    throw error;
  }
}

/** Bytes below 0x80 through G0, others through G1, in runs. */
function decodeRuns(bytes: Uint8Array, g0: CodeElement, g1: CodeElement | undefined, field: string, term: string): string {
  let out = '';
  let start = 0;
  while (start < bytes.length) {
    const high = bytes[start]! >= 0x80;
    let end = start + 1;
    while (end < bytes.length && bytes[end]! >= 0x80 === high) end += 1;
    const run = bytes.subarray(start, end);
    if (high && !g1) throw new ImagingInputError('INVALID_DICOM', `${field} holds byte 0x${run[0]!.toString(16)}, outside the repertoire of ${term}, its Specific Character Set`);
    out += checked(() => (high ? g1! : g0).decode(run), field, term);
    start = end;
  }
  return out;
}

function decodeIso2022(bytes: Uint8Array, charset: Extract<CharacterSet, { kind: 'iso2022' }>, field: string, resets: ReadonlySet<number>): string {
  let g0 = charset.g0;
  let g1 = charset.g1;
  const term = charset.terms.filter((t) => t !== '').join('\\') || 'ISO 2022';
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte === ESC) {
      const designation = [4, 3].map((n) => ESCAPES.get(String.fromCharCode(...bytes.subarray(i + 1, i + n)))).find((d) => d !== undefined);
      if (!designation) {
        const shown = Array.from(bytes.subarray(i + 1, i + 4), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16)}`)).join('');
        throw new ImagingInputError('UNSUPPORTED_CHARACTER_SET', `${field} holds the escape sequence ESC ${shown}, which designates no character set clinfer can decode`);
      }
      if (designation.g === 0) g0 = designation.element;
      else g1 = designation.element;
      i += 1 + designation.escape.length;
      continue;
    }
    if (byte >= 0x80) {
      if (!g1) throw new ImagingInputError('INVALID_DICOM', `${field} holds byte 0x${byte.toString(16)} but no character set is designated to G1 (Specific Character Set ${term})`);
      let end = i;
      while (end < bytes.length && bytes[end]! >= 0x80) end += 1;
      if (g1.bytes === 2 && (end - i) % 2 !== 0) throw new ImagingInputError('INVALID_DICOM', `${field} holds an odd number of ${g1.name} bytes`);
      const run = bytes.subarray(i, end);
      out += checked(() => g1!.decode(run), field, g1.name);
      i = end;
      continue;
    }
    if (g0.bytes === 2 && byte > 0x20) {
      // Two-byte G0 (JIS X 0208/0212): pairs of 0x21-0x7E until an escape, a control character or space.
      let end = i;
      while (end + 1 < bytes.length && bytes[end]! > 0x20 && bytes[end]! < 0x7f && bytes[end + 1]! > 0x20 && bytes[end + 1]! < 0x7f) end += 2;
      if (end === i) throw new ImagingInputError('INVALID_DICOM', `${field} holds a lone byte 0x${byte.toString(16)} where ${g0.name} needs two`);
      const run = bytes.subarray(i, end);
      out += checked(() => g0.decode(run), field, g0.name);
      i = end;
      continue;
    }
    // A single-byte G0 character; a delimiter or control character returns to the initial designations.
    out += g0 === ROMAJI ? ROMAJI.decode(bytes.subarray(i, i + 1)) : String.fromCharCode(byte);
    if (resets.has(byte)) {
      g0 = charset.g0;
      g1 = charset.g1;
    }
    i += 1;
  }
  return out;
}
