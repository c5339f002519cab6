import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../runtime/pacs/backoff.js';
import { isStoreSuccess } from '../../runtime/pacs/dimse-library.js';
import { ERROR_CODES } from '../../runtime/errors/index.js';
import { PacsError } from '../../runtime/pacs/pacs-error.js';
import { part10Dataset, readPart10, writePart10 } from '../../runtime/pacs/part10.js';
import { ContextResult, decideContext } from '../../runtime/pacs/scp-negotiation.js';
import { multipartRelated } from '../../runtime/pacs/stow-multipart.js';
import { parseStowResponse, stowOutcomes } from '../../runtime/pacs/stow-response.js';
import { DEFAULT_TRANSFER_SYNTAXES, TransferSyntaxUid, VERIFICATION_SOP_CLASS } from '../../runtime/pacs/uids.js';

// The pure parts of runtime/pacs (no network). They would sit in test/unit/pacs/; they live here because
// this change owns only test/integration/pacs-*.test.ts.
const FIXTURES = fileURLToPath(new URL('../fixtures/pacs/', import.meta.url));
const CT = new Uint8Array(readFileSync(join(FIXTURES, 'CT_small.dcm')));
const CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

describe('Part 10 framing', () => {
  it('reads the file meta of a fixture', () => {
    expect(readPart10(CT)).toEqual({
      sopClassUid: CT_STORAGE,
      sopInstanceUid: '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322',
      transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
      datasetOffset: expect.any(Number),
    });
  });

  it('writes a file meta that reads back, the data set bytes untouched and chunked input joined', () => {
    const dataset = part10Dataset(CT);
    const chunks = [dataset.subarray(0, 1000), dataset.subarray(1000)];
    const meta = { sopClassUid: CT_STORAGE, sopInstanceUid: '1.2.3.45', transferSyntaxUid: TransferSyntaxUid.JpegLsLossless, sourceAeTitle: 'CT01' };
    const file = writePart10(meta, chunks);
    const view = readPart10(file);
    expect(view).toMatchObject({ sopClassUid: CT_STORAGE, sopInstanceUid: '1.2.3.45', transferSyntaxUid: TransferSyntaxUid.JpegLsLossless });
    expect(Buffer.from(file.subarray(view.datasetOffset)).equals(Buffer.from(dataset))).toBe(true);
    expect(Buffer.from(file.subarray(128, 132)).toString('latin1')).toBe('DICM');
    // Group length (0002,0000) counts the meta elements after it.
    const groupLength = new DataView(file.buffer, file.byteOffset).getUint32(132 + 8, true);
    expect(132 + 12 + groupLength).toBe(view.datasetOffset);
  });

  it('refuses bytes without the DICM prefix or without the required meta elements', () => {
    expect(() => readPart10(new Uint8Array(300))).toThrow(PacsError);
    const noTransferSyntax = new Uint8Array(140);
    noTransferSyntax.set(Buffer.from('DICM'), 128);
    expect(() => readPart10(noTransferSyntax)).toThrow(/0002,0010/);
  });
});

describe('presentation context negotiation', () => {
  const policy = { sopClasses: 'all-storage' as const, transferSyntaxes: DEFAULT_TRANSFER_SYNTAXES };

  it("accepts the first proposed syntax it supports, so compressed data stays compressed", () => {
    expect(decideContext(CT_STORAGE, [TransferSyntaxUid.JpegLsLossless, TransferSyntaxUid.ExplicitVRLittleEndian], policy)).toEqual({
      result: ContextResult.Accept,
      transferSyntaxUid: TransferSyntaxUid.JpegLsLossless,
    });
    expect(decideContext(CT_STORAGE, ['1.2.840.10008.1.2.4.100', TransferSyntaxUid.ImplicitVRLittleEndian], policy)).toEqual({
      result: ContextResult.Accept,
      transferSyntaxUid: TransferSyntaxUid.ImplicitVRLittleEndian,
    });
  });

  it('rejects unknown syntaxes, non-storage SOP classes, and storage classes outside a closed list', () => {
    expect(decideContext(CT_STORAGE, ['1.2.840.10008.1.2.4.100'], policy).result).toBe(ContextResult.RejectTransferSyntaxesNotSupported);
    expect(decideContext('1.2.840.10008.5.1.4.1.2.2.1', [TransferSyntaxUid.ImplicitVRLittleEndian], policy).result).toBe(ContextResult.RejectAbstractSyntaxNotSupported);
    const closed = { sopClasses: ['1.2.840.10008.5.1.4.1.1.4'], transferSyntaxes: DEFAULT_TRANSFER_SYNTAXES };
    expect(decideContext(CT_STORAGE, [TransferSyntaxUid.ImplicitVRLittleEndian], closed).result).toBe(ContextResult.RejectAbstractSyntaxNotSupported);
  });

  it('accepts verification in uncompressed little endian only', () => {
    expect(decideContext(VERIFICATION_SOP_CLASS, [TransferSyntaxUid.ImplicitVRLittleEndian], policy).result).toBe(ContextResult.Accept);
    expect(decideContext(VERIFICATION_SOP_CLASS, [TransferSyntaxUid.JpegBaseline], policy).result).toBe(ContextResult.RejectTransferSyntaxesNotSupported);
  });
});

describe('back-off', () => {
  const policy = { initialMs: 1000, maxMs: 300_000 };

  it('doubles from initialMs up to maxMs, with equal jitter (between half and all of the step)', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, policy, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(50, policy, () => 1)).toBe(300_000);
    expect(backoffDelay(1000, policy, () => 0)).toBe(150_000);
  });
});

describe('STOW-RS body and response', () => {
  it('frames each instance as an application/dicom part between boundaries', () => {
    const { contentType, body } = multipartRelated([Uint8Array.of(1, 2), Uint8Array.of(3)], 'B');
    expect(contentType).toBe('multipart/related; type="application/dicom"; boundary=B');
    expect(Buffer.from(body).toString('latin1')).toBe(
      '--B\r\nContent-Type: application/dicom\r\n\r\n\x01\x02\r\n--B\r\nContent-Type: application/dicom\r\n\r\n\x03\r\n--B--\r\n',
    );
  });

  it('maps failed and referenced SOP instances to outcomes', () => {
    const response = parseStowResponse({
      '00081198': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['2'] }, '00081197': { vr: 'US', Value: [0xc000] } }] },
      '00081199': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['1'] } }] },
    });
    expect(stowOutcomes(202, response, ['1', '2', '3'])).toEqual([
      { index: 0, sopInstanceUid: '1', ok: true },
      { index: 1, sopInstanceUid: '2', ok: false, status: 0xc000, reason: 'STOW-RS: failure reason 0xC000' },
      { index: 2, sopInstanceUid: '3', ok: false, reason: 'STOW-RS: HTTP 202 and the instance is not named in the response' },
    ]);
  });

  it('refuses a response that is not DICOM JSON', () => {
    expect(() => parseStowResponse('text')).toThrow(PacsError);
    expect(() => parseStowResponse({ '00081199': { vr: 'SQ', Value: ['x'] } })).toThrow(/not a sequence/);
  });
});

describe('PACS errors and statuses', () => {
  it('has stable codes in runtime/errors/codes.ts, each with a kind and a summary', () => {
    const pacsCodes = Object.keys(ERROR_CODES).filter((code) => code.startsWith('PACS_'));
    expect(pacsCodes).toEqual([
      'PACS_INVALID_PART10',
      'PACS_DESTINATION_UNKNOWN',
      'PACS_NETWORK',
      'PACS_TIMEOUT',
      'PACS_ASSOCIATION_REJECTED',
      'PACS_STOW_HTTP',
      'PACS_STOW_RESPONSE_INVALID',
      'PACS_QUEUE_CLOSED',
    ]);
    for (const code of pacsCodes) expect(ERROR_CODES[code as keyof typeof ERROR_CODES].summary.length).toBeGreaterThan(10);
    expect(new PacsError('PACS_NETWORK', 'x').kind).toBe('unavailable');
  });

  it('counts success and warning C-STORE statuses as stored, refusals and failures as not', () => {
    expect([0x0000, 0x0001, 0xb000, 0xb007].every(isStoreSuccess)).toBe(true);
    expect([0xa700, 0xa900, 0xc000, 0x0110, 0x0122].some(isStoreSuccess)).toBe(false);
  });
});
