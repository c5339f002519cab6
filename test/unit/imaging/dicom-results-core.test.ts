import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DICTIONARY } from '../../../adapters/imaging/dicom-results/dictionary.js';
import { DicomResultError, deviceUidFromDigest, newUid } from '../../../adapters/imaging/dicom-results/index.js';
import { ERROR_CODES } from '../../../runtime/errors/index.js';
import { encodeDataset, writePart10 } from '../../../adapters/imaging/dicom-results/part10.js';
import { sha256 } from '../../../adapters/imaging/dicom-results/sha256.js';
import { isValidUid } from '../../../adapters/imaging/dicom-results/uid.js';
import { formatDecimalString } from '../../../adapters/imaging/dicom-results/values.js';
import { dcmjs, nestedText, readWithDcmjs } from '../../fixtures/dicom-results/dcmjs-reader.js';
import { runTool } from '../../fixtures/dicom-results/dicom-tools.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const DIGEST_A = '3f1a9c0e4b7d2a6f8e5c1b9d0a7f3e2c4b6d8a0f1e3c5b7d9a2f4e6c8b0d1a3f';
const DIGEST_B = '3f1a9c0e4b7d2a6f8e5c1b9d0a7f3e2c4b6d8a0f1e3c5b7d9a2f4e6c8b0d1a3e';

describe('deviceUidFromDigest', () => {
  it('is stable for the same bundle digest and differs when the digest changes', () => {
    const a = deviceUidFromDigest(DIGEST_A);
    expect(deviceUidFromDigest(DIGEST_A)).toBe(a);
    expect(deviceUidFromDigest(`sha256:${DIGEST_A.toUpperCase()}`)).toBe(a);
    expect(deviceUidFromDigest(DIGEST_B)).not.toBe(a);
    expect(a).toMatch(/^2\.25\.[1-9]\d*$/);
    expect(isValidUid(a)).toBe(true);
  });

  it('is a version 8 (name-based, SHA-256) UUID under 2.25 that does not reveal the digest', () => {
    const uuid = BigInt(deviceUidFromDigest(DIGEST_A).slice(5)).toString(16).padStart(32, '0');
    expect(uuid[12]).toBe('8');
    expect(['8', '9', 'a', 'b']).toContain(uuid[16]);
    expect(DIGEST_A).not.toContain(uuid.slice(0, 12));
  });

  it('refuses what is not a sha-256 hex digest', () => {
    for (const bad of ['', 'abc', 'z'.repeat(64), `${DIGEST_A}00`]) {
      expect(() => deviceUidFromDigest(bad)).toThrow(DicomResultError);
    }
  });
});

describe('newUid', () => {
  it('makes unique UUID-derived UIDs under 2.25', () => {
    const uids = new Set(Array.from({ length: 500 }, () => newUid()));
    expect(uids.size).toBe(500);
    for (const uid of uids) {
      expect(uid).toMatch(/^2\.25\.[1-9]\d*$/);
      expect(uid.length).toBeLessThanOrEqual(64);
    }
  });

  it('uses the site root when given one, filling up to 64 characters', () => {
    const root = '1.2.826.0.1.3680043.10.543';
    const uids = new Set(Array.from({ length: 200 }, () => newUid(root)));
    expect(uids.size).toBe(200);
    for (const uid of uids) {
      expect(uid.startsWith(`${root}.`)).toBe(true);
      expect(isValidUid(uid)).toBe(true);
    }
    expect(() => newUid('1.2.03')).toThrow(/uidRoot/);
    expect(() => newUid(`1.${'2'.repeat(50)}`)).toThrow(/uidRoot: at most 43 characters/);
  });
});

describe('sha256', () => {
  it('matches the FIPS 180-4 examples and node:crypto on every length across block boundaries', () => {
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (let n = 0; n < 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(hex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('the Part 10 writer', () => {
  it('writes only attributes whose tag and VR match the standard dictionary (dcmjs)', () => {
    const problems = Object.entries(DICTIONARY).flatMap(([keyword, [tag, vr]]) => {
      const entry = dcmjs.data.DicomMetaDictionary.nameMap[keyword];
      if (!entry) return [`${keyword}: unknown to dcmjs`];
      const expectedTag = `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase();
      const vrs = entry.vr === 'ox' ? ['OB', 'OW'] : entry.vr.split('|');
      return [
        ...(entry.tag.toUpperCase() === expectedTag ? [] : [`${keyword}: tag ${expectedTag}, dcmjs ${entry.tag}`]),
        ...(vrs.includes(vr) ? [] : [`${keyword}: VR ${vr}, dcmjs ${entry.vr}`]),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('round-trips values, sequences and UTF-8 text through dcmjs and dcmdump', () => {
    const file = writePart10({
      SpecificCharacterSet: 'ISO_IR 192',
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.33',
      SOPInstanceUID: '1.2.3.4.5',
      PatientName: 'Ærø^Åse',
      PatientID: 'odd',
      ImagePositionPatient: [-0.1234567890123456, 1e-9, 300],
      Rows: 513,
      DimensionIndexValues: [1, 70000],
      DimensionIndexPointer: 0x0062000b,
      FloatingPointValue: Math.PI,
      ContentSequence: [{ TextValue: 'à la ligne\net ç' }, { CodeValue: 'X' }, { TextValue: 'back\\slash' }],
      PerformedProcedureCodeSequence: null,
      PixelData: new Uint8Array([1, 2, 3]),
    });
    const ds = readWithDcmjs(file);
    expect(ds.PatientName[0]?.Alphabetic ?? ds.PatientName).toBe('Ærø^Åse');
    expect(ds.PatientID).toBe('odd');
    expect(ds.ImagePositionPatient[0]).toBeCloseTo(-0.1234567890123456, 12); // 16 characters hold 13 digits here
    expect(ds.ImagePositionPatient.slice(1)).toEqual([1e-9, 300]);
    expect(ds.Rows).toBe(513);
    expect(ds.DimensionIndexValues).toEqual([1, 70000]);
    expect(ds.FloatingPointValue).toBe(Math.PI);
    expect(nestedText(ds.ContentSequence[0].TextValue)).toBe('à la ligne\net ç');
    expect(ds.ContentSequence[1].CodeValue).toBe('X');
    expect(Array.from(new Uint8Array(ds.PixelData[0]).slice(0, 3))).toEqual([1, 2, 3]);

    const { output, status } = runTool('dcmdump', file);
    expect(status).toBe(0);
    expect(output).toContain('(0020,9165) AT (0062,000b)');
    expect(output).toContain('(0040,a160) UT [back\\slash]'); // dcmjs would split UT at the backslash
    expect(output).toContain('(0002,0010) UI =LittleEndianExplicit');
    expect(output).not.toMatch(/^E: |^W: /m);
  });

  it('pads to even lengths: UIDs with NUL, text with a space', () => {
    const uid = encodeDataset({ SOPInstanceUID: '1.2.3' });
    expect(Array.from(uid.slice(-6))).toEqual([...'1.2.3'].map((c) => c.charCodeAt(0)).concat(0));
    const text = encodeDataset({ PatientID: 'abc' });
    expect(text.at(-1)).toBe(0x20);
    expect(text.length % 2).toBe(0);
  });

  it('formats decimals within 16 characters', () => {
    for (const value of [0.9132, -123.45678901234567, 1 / 3, 123456789012345678, 1e-300, 0]) {
      const text = formatDecimalString(value, 'x');
      expect(text.length).toBeLessThanOrEqual(16);
      expect(Math.abs(Number(text) - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-10);
    }
  });

  it('refuses values that do not fit their VR, naming the attribute', () => {
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { return e instanceof DicomResultError ? `${e.code}: ${e.message}` : String(e); } return 'no error'; };
    expect(code(() => encodeDataset({ AccessionNumber: '12345678901234567' }))).toBe('RESULT_INVALID_VALUE: AccessionNumber: at most 16 characters for VR SH, got 17');
    expect(code(() => encodeDataset({ Modality: 'sr' }))).toMatch(/^RESULT_INVALID_VALUE: Modality: CS allows/);
    expect(code(() => encodeDataset({ SOPInstanceUID: '1.02' }))).toMatch(/^RESULT_INVALID_VALUE: SOPInstanceUID: not a valid UID/);
    expect(code(() => encodeDataset({ PatientID: 'a\\b' }))).toMatch(/^RESULT_INVALID_VALUE: PatientID: a backslash/);
    expect(code(() => encodeDataset({ Rows: 70000 }))).toMatch(/^RESULT_INVALID_VALUE: Rows: 70000 is not a US integer/);
    expect(code(() => encodeDataset({ NumericValue: Number.NaN }))).toMatch(/^RESULT_INVALID_VALUE: NumericValue: expected a finite number/);
  });
});

describe('DicomResultError codes', () => {
  it('are pinned in runtime/errors/codes.ts, each with a summary', () => {
    const resultCodes = Object.keys(ERROR_CODES).filter((code) => code.startsWith('RESULT_'));
    expect(resultCodes).toEqual([
      'RESULT_INVALID_SOURCES', 'RESULT_INVALID_FINDING', 'RESULT_INVALID_MASK', 'RESULT_EMPTY_SEGMENTATION', 'RESULT_INVALID_MODEL', 'RESULT_INVALID_VALUE',
    ]);
    for (const code of resultCodes) expect(ERROR_CODES[code as keyof typeof ERROR_CODES].summary.length).toBeGreaterThan(10);
    expect(new DicomResultError('RESULT_INVALID_MASK', 'x').code).toBe('RESULT_INVALID_MASK');
  });
});
