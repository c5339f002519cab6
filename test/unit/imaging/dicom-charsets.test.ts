import { describe, expect, it } from 'vitest';
import { characterSetOf, decodeText } from '../../../adapters/imaging/dicom/charset.js';
import { readDicomInfo } from '../../../adapters/imaging/dicom/index.js';
import { ImagingInputError } from '../../../adapters/imaging/raster.js';
import { buildClassificationSr } from '../../../adapters/imaging/dicom-results/index.js';
import { part10, raw, text, type Element } from '../../fixtures/dicom/build-dicom.js';
import { dciodvfy, dumpValue, runTool } from '../../fixtures/dicom-results/dicom-tools.js';
import { PNEUMONIA_MODEL } from '../../fixtures/dicom-results/sources.js';

/**
 * Person names in every character set a hospital network meets (PS3.3 C.12.1.1.2, PS3.5 6.1 and Annexes
 * H-K): the source bytes are written here, dcmtk (dcmdump +U8, its own converter) says what they mean, and
 * the SR clinfer writes (ISO_IR 192) must show the very same name.
 */

const ESC = 0x1b;
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const bytes = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? ascii(p) : p)));
/** ISO 2022 designations (PS3.3 Table C.12-4). */
const JIS_X_0208 = [ESC, 0x24, 0x42]; // ESC $ B
const ASCII_G0 = [ESC, 0x28, 0x42]; // ESC ( B
const KS_X_1001 = [ESC, 0x24, 0x29, 0x43]; // ESC $ ) C

/** A text in a single-byte ISO 8859 set, byte by byte, from the WHATWG table of that set (0xA0-0xFF). */
function singleByte(value: string, label: string): Uint8Array {
  const decoder = new TextDecoder(label);
  const table = new Map<string, number>();
  for (let b = 0xa0; b <= 0xff; b++) table.set(decoder.decode(new Uint8Array([b])), b);
  return new Uint8Array(Array.from(value, (c) => {
    if (c.charCodeAt(0) < 0x80) return c.charCodeAt(0);
    const b = table.get(c);
    if (b === undefined) throw new Error(`${c} is not in ${label}`);
    return b;
  }));
}

interface NameCase {
  readonly what: string;
  readonly charset: string;
  readonly name: Uint8Array;
  readonly expected: string;
  /**
   * Who says what the bytes mean: dcmtk's converter (dcmdump +U8), or for ISO 2022 code extensions, which
   * Debian's dcmtk 3.6.7 cannot convert (its glibc iconv backend refuses them), the standard's own example.
   */
  readonly reference: 'dcmtk' | 'PS3.5';
}

const CASES: NameCase[] = [
  { what: 'Cyrillic (ISO_IR 144)', charset: 'ISO_IR 144', name: singleByte('Иванов^Иван', 'iso-8859-5'), expected: 'Иванов^Иван', reference: 'dcmtk' },
  { what: 'Greek (ISO_IR 126)', charset: 'ISO_IR 126', name: singleByte('Διονυσιος', 'iso-8859-7'), expected: 'Διονυσιος', reference: 'dcmtk' },
  { what: 'Hebrew (ISO_IR 138)', charset: 'ISO_IR 138', name: singleByte('שרון^דבורה', 'iso-8859-8'), expected: 'שרון^דבורה', reference: 'dcmtk' },
  { what: 'Arabic (ISO_IR 127)', charset: 'ISO_IR 127', name: singleByte('قباني^لنزار', 'iso-8859-6'), expected: 'قباني^لنزار', reference: 'dcmtk' },
  { what: 'Latin-2 (ISO_IR 101)', charset: 'ISO_IR 101', name: singleByte('Dvořák^Antonín', 'iso-8859-2'), expected: 'Dvořák^Antonín', reference: 'dcmtk' },
  {
    // PS3.5 H.3.1: alphabetic, ideographic (JIS X 0208 Kanji) and phonetic (Hiragana) groups.
    what: 'Japanese (ISO 2022 IR 87, three component groups)', charset: '\\ISO 2022 IR 87',
    name: bytes('Yamada^Tarou=', JIS_X_0208, ';3ED', ASCII_G0, '^', JIS_X_0208, 'B@O:', ASCII_G0, '=', JIS_X_0208, '$d$^$@', ASCII_G0, '^', JIS_X_0208, '$?$m$&', ASCII_G0),
    expected: 'Yamada^Tarou=山田^太郎=やまだ^たろう', reference: 'PS3.5',
  },
  {
    // PS3.5 I.2: KS X 1001 in G1, designated again after every delimiter.
    what: 'Korean (ISO 2022 IR 149, three component groups)', charset: '\\ISO 2022 IR 149',
    name: bytes('Hong^Gildong=', KS_X_1001, [0xfb, 0xf3], '^', KS_X_1001, [0xd1, 0xce, 0xd4, 0xd7], '=', KS_X_1001, [0xc8, 0xab], '^', KS_X_1001, [0xb1, 0xe6, 0xb5, 0xbf]),
    expected: 'Hong^Gildong=洪^吉洞=홍^길동', reference: 'PS3.5',
  },
  {
    // PS3.5 J.3: GB18030 needs no escape sequences.
    what: 'Chinese (GB18030)', charset: 'GB18030',
    name: bytes('Wang^XiaoDong=', [0xcd, 0xf5], '^', [0xd0, 0xa1, 0xb6, 0xab], '='),
    expected: 'Wang^XiaoDong=王^小东=', reference: 'dcmtk',
  },
];

const UIDS = { study: '1.2.826.0.1.3680043.8.498.90', series: '1.2.826.0.1.3680043.8.498.90.1', instance: '1.2.826.0.1.3680043.8.498.90.1.1' };

function source(charset: string, name: Uint8Array, extra: Element[] = []): Uint8Array {
  const padded = name.length % 2 ? new Uint8Array([...name, 0x20]) : name;
  return part10([
    text(0x00080005, 'CS', charset),
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.1'),
    text(0x00080018, 'UI', UIDS.instance),
    text(0x00080060, 'CS', 'CR'),
    raw(0x00100010, 'PN', padded),
    text(0x00100020, 'LO', 'PID-1'),
    text(0x0020000d, 'UI', UIDS.study),
    text(0x0020000e, 'UI', UIDS.series),
    ...extra,
  ]);
}

describe('person names by Specific Character Set, from the source file to the SR', () => {
  for (const c of CASES) {
    it(`${c.what}: the source reads as ${c.expected} (${c.reference}), clinfer reads the same, its SR shows the same`, () => {
      const file = source(c.charset, c.name);
      if (c.reference === 'dcmtk') {
        const converted = runTool('dcmdump', file, ['+U8']);
        expect(converted.status).toBe(0);
        expect(dumpValue(converted.output, '0010,0010')).toBe(c.expected);
      }

      const info = readDicomInfo(file);
      expect(info.patient.name).toBe(c.expected);

      const sr = buildClassificationSr({
        sources: [info],
        model: PNEUMONIA_MODEL,
        findings: [{ sourceIndex: 0, label: { id: 'pneumonia', text: 'Pneumonia' }, score: 0.7, scores: [{ id: 'normal', text: 'Normal', score: 0.3 }, { id: 'pneumonia', text: 'Pneumonia', score: 0.7 }] }],
        language: 'en',
        now: new Date('2026-01-02T03:04:05Z'),
      });
      const dump = runTool('dcmdump', sr);
      expect(dumpValue(dump.output, '0008,0005')).toBe('ISO_IR 192');
      expect(dumpValue(dump.output, '0010,0010')).toBe(c.expected);
      expect(dumpValue(runTool('dcmdump', sr, ['+U8']).output, '0010,0010')).toBe(c.expected);
      expect(dciodvfy(sr).errors).toEqual([]);
    });
  }
});

describe('decodeText', () => {
  it('reads the text VRs other than PN by the same character set (LO, SH, ST, LT, UT, UC)', () => {
    const file = source('ISO_IR 144', singleByte('Петров^Пётр', 'iso-8859-5'), [
      raw(0x0008103e, 'LO', singleByte('Грудная клетка', 'iso-8859-5')),
      raw(0x00080050, 'SH', singleByte('Ж-1234', 'iso-8859-5')),
    ]);
    const info = readDicomInfo(file);
    expect(info.seriesDescription).toBe('Грудная клетка');
    expect(info.study.accessionNumber).toBe('Ж-1234');
  });

  it('reads JIS X 0201 katakana (ISO_IR 13) and JIS X 0212 (ISO 2022 IR 159)', () => {
    expect(decodeText(new Uint8Array([0xd4, 0xcf, 0xc0, 0xde, 0x5e, 0xc0, 0xdb, 0xb3]), characterSetOf('ISO_IR 13'), 'PN', true)).toBe('ﾔﾏﾀﾞ^ﾀﾛｳ');
    // ESC $ ( D, then JIS X 0212 0x3021 (丂).
    expect(decodeText(bytes([ESC, 0x24, 0x28, 0x44, 0x30, 0x21], ASCII_G0), characterSetOf('\\ISO 2022 IR 159'), 'PN', true)).toBe('丂');
  });

  it('reads PS3.5 H.3.2: half-width katakana in G1 beside Kanji, with JIS X 0201 Romaji as the initial G0', () => {
    const romaji = [ESC, 0x28, 0x4a]; // ESC ( J
    const value = bytes([0xd4, 0xcf, 0xc0, 0xde], '^', [0xc0, 0xdb, 0xb3], '=', JIS_X_0208, ';3ED', romaji, '^', JIS_X_0208, 'B@O:', romaji, '=', JIS_X_0208, '$d$^$@', romaji, '^', JIS_X_0208, '$?$m$&', romaji);
    expect(decodeText(value, characterSetOf('ISO 2022 IR 13\\ISO 2022 IR 87'), 'PN', true)).toBe('ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう');
  });

  it('reads Thai (ISO_IR 166), GBK and GB 2312 through ISO 2022 IR 58', () => {
    expect(decodeText(new Uint8Array([0xca, 0xc1, 0xaa, 0xd2, 0xc2]), characterSetOf('ISO_IR 166'), 'PN', true)).toBe('สมชาย');
    expect(decodeText(new Uint8Array([0xcd, 0xf5, 0x5e, 0xd0, 0xa1, 0xb6, 0xab]), characterSetOf('GBK'), 'PN', true)).toBe('王^小东');
    expect(decodeText(bytes([ESC, 0x24, 0x29, 0x41, 0xcd, 0xf5]), characterSetOf('\\ISO 2022 IR 58'), 'PN', true)).toBe('王');
  });

  it('returns to the initial designation at ^ and = in PN, as PS3.5 6.1.2.5.3 says an encoder must have done', () => {
    // Latin-1 in G1 as the initial set; Cyrillic designated for the first component only.
    const cs = characterSetOf('ISO 2022 IR 100\\ISO 2022 IR 144');
    const value = bytes([ESC, 0x2d, 0x4c, 0xb8], '^', [0xe9]);
    expect(decodeText(value, cs, 'PN', true)).toBe('И^é');
  });

  it('reads Latin-9 (ISO_IR 203), which Debian\'s dcmtk 3.6.7 does not know', () => {
    expect(decodeText(singleByte('Œuvray^Zoé€', 'iso-8859-15'), characterSetOf('ISO_IR 203'), 'PN', true)).toBe('Œuvray^Zoé€');
  });

  it('accepts the common misspellings ISO-IR 100 and ISO IR 144 as the terms they mean', () => {
    expect(decodeText(new Uint8Array([0xe9]), characterSetOf('ISO-IR 100'), 'LO')).toBe('é');
    expect(decodeText(new Uint8Array([0xb8]), characterSetOf('ISO IR 144'), 'LO')).toBe('И');
  });

  it('reads undeclared bytes above 0x7F as Latin-1, as dcmtk and pydicom do', () => {
    expect(decodeText(new Uint8Array([0x4c, 0xe9, 0x61]), characterSetOf(undefined), 'PN', true)).toBe('Léa');
  });
});

describe('refusals: never a garbled name', () => {
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      expect(error).toBeInstanceOf(ImagingInputError);
      return { code: (error as ImagingInputError).code, message: (error as Error).message };
    }
    throw new Error('expected a refusal');
  };

  it('an unknown term: UNSUPPORTED_CHARACTER_SET naming it, when the header is read', () => {
    const r = refusal(() => readDicomInfo(source('ISO_IR 999', bytes('Doe^John'))));
    expect(r.code).toBe('UNSUPPORTED_CHARACTER_SET');
    expect(r.message).toContain("'ISO_IR 999'");
    expect(r.message).toContain('Specific Character Set (0008,0005)');
  });

  it('a second value that is not an ISO 2022 term, and UTF-8 with code extensions', () => {
    expect(refusal(() => characterSetOf('ISO 2022 IR 6\\KOI8-R')).message).toContain("value 2 'KOI8-R'");
    expect(refusal(() => characterSetOf('ISO_IR 192\\ISO 2022 IR 87')).code).toBe('UNSUPPORTED_CHARACTER_SET');
  });

  it('an escape sequence for no known set', () => {
    const r = refusal(() => decodeText(bytes([ESC, 0x24, 0x29, 0x5a, 0xb0, 0xa1]), characterSetOf('\\ISO 2022 IR 149'), 'PatientName (0010,0010)', true));
    expect(r.code).toBe('UNSUPPORTED_CHARACTER_SET');
    expect(r.message).toContain('PatientName (0010,0010)');
  });

  it('bytes that are not characters of the declared set: INVALID_DICOM naming the element', () => {
    // 0xA1 is unassigned in ISO 8859-8; 0x85 is a C1 control; 0xC3 0x28 is not UTF-8; 0xE9 without G1.
    expect(refusal(() => decodeText(new Uint8Array([0xa1]), characterSetOf('ISO_IR 138'), 'PatientName (0010,0010)', true))).toEqual({
      code: 'INVALID_DICOM', message: 'PatientName (0010,0010) holds bytes that are not characters of ISO_IR 138, its Specific Character Set',
    });
    expect(refusal(() => decodeText(new Uint8Array([0x85]), characterSetOf('ISO_IR 100'), 'X', true)).code).toBe('INVALID_DICOM');
    expect(refusal(() => decodeText(new Uint8Array([0xc3, 0x28]), characterSetOf('ISO_IR 192'), 'X', true)).code).toBe('INVALID_DICOM');
    expect(refusal(() => decodeText(new Uint8Array([0xe9]), characterSetOf('ISO_IR 6'), 'X', true)).code).toBe('INVALID_DICOM');
    expect(refusal(() => decodeText(bytes([0x1b, 0x2d, 0x41]), characterSetOf('ISO_IR 100'), 'X', true)).message).toContain('allows no code extensions');
  });
});
