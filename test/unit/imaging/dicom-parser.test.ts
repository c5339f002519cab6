import { readFileSync } from 'node:fs';
import { Deflate } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodeDicom, readDicomInfo } from '../../../adapters/imaging/dicom/index.js';
import { ImagingInputError } from '../../../adapters/imaging/raster.js';
import { DEFLATED, encodeElements, imageElements, part10, raw, sequence, text, us } from '../../fixtures/dicom/build-dicom.js';

/** Part 10 parsing and the instance description: what is read, and the precise refusals. */

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${path}`, import.meta.url)));

function refusal(bytes: Uint8Array): ImagingInputError {
  try {
    readDicomInfo(bytes);
  } catch (error) {
    if (error instanceof ImagingInputError) return error;
    throw error;
  }
  throw new Error('readDicomInfo accepted the input');
}

describe('readDicomInfo', () => {
  it('reads identification, patient, study and geometry of a CT', () => {
    const info = readDicomInfo(fixture('cornerstoneWADOImageLoader/CTImage.dcm'));
    expect(info).toMatchObject({
      transferSyntaxUID: '1.2.840.10008.1.2',
      sopClassUID: '1.2.840.10008.5.1.4.1.1.2',
      modality: 'CT',
      image: {
        rows: 512, columns: 512, numberOfFrames: 1, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2',
        bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelSpacing: [0.675781, 0.675781], imagePositionPatient: [-161.399994, -148.800003, 4.7],
      },
    });
    expect(info.sopInstanceUID).toMatch(/^[0-9.]+$/);
    expect(info.studyInstanceUID).toMatch(/^[0-9.]+$/);
    expect(info.seriesInstanceUID).toMatch(/^[0-9.]+$/);
  });

  it('takes enhanced multi-frame geometry from the functional groups', () => {
    const info = readDicomInfo(fixture('dicomParser/CT0012.not_fragmented_bot_rle.dcm'));
    expect(info.image).toMatchObject({
      numberOfFrames: 2, pixelSpacing: [0.388672, 0.388672], sliceThickness: 10, imagePositionPatient: [99.5, -301.5, -159], imageOrientationPatient: [-1, 0, 0, 0, 1, 0],
    });
  });

  it('has no image for objects without pixel data, and reads deflated data sets', () => {
    const report = readDicomInfo(fixture('dicomParser/report_dfl'));
    expect(report.image).toBeUndefined();
    expect(report.sopClassUID).toBe('1.2.840.10008.5.1.4.1.1.88.22');
    expect(readDicomInfo(fixture('pydicom/image_dfl.dcm')).image).toMatchObject({ rows: 512, columns: 512 });
  });

  it('decodes person names as UTF-8 under ISO_IR 192, and tolerates malformed descriptive numbers', () => {
    const bytes = part10([text(0x00080005, 'CS', 'ISO_IR 192'), text(0x00100010, 'PN', 'Müller^Zoë'), text(0x00200013, 'IS', 'abc'), text(0x00200011, 'IS', ' 7 ')]);
    const info = readDicomInfo(bytes);
    expect(info.patient.name).toBe('Müller^Zoë');
    expect(info.instanceNumber).toBeUndefined();
    expect(info.seriesNumber).toBe(7);
    expect(info.sopInstanceUID).toBe('');
  });

  it('reads a data set written in implicit VR under an explicit VR transfer syntax', () => {
    expect(readDicomInfo(fixture('pydicom/SC_rgb_jpeg.dcm')).image).toMatchObject({ rows: 256, columns: 256, samplesPerPixel: 3 });
  });
});

describe('precise refusals (INVALID_DICOM)', () => {
  const refusals: ReadonlyArray<readonly [string, () => Uint8Array, string | RegExp]> = [
    ['an empty input', () => new Uint8Array(0), "the input is 0 bytes, too short for a DICOM file (128-byte preamble and 'DICM' prefix)"],
    ['no DICM prefix', () => new Uint8Array(300), "no 'DICM' prefix at byte 128: not a DICOM Part 10 file (a data set without preamble and file meta information is not accepted)"],
    ['no file meta group', () => {
      const bytes = part10([text(0x00100010, 'PN', 'X')]);
      const withoutMeta = new Uint8Array(132 + encodeElements([text(0x00100010, 'PN', 'X')]).length);
      withoutMeta.set(bytes.subarray(0, 132));
      withoutMeta.set(encodeElements([text(0x00100010, 'PN', 'X')]), 132);
      return withoutMeta;
    }, "no file meta information (group 0002) after the 'DICM' prefix"],
    ['a transfer syntax that is not a UID', () => part10([], '1.2.840.10008.1.2.1x'), "TransferSyntaxUID (0002,0010) is '1.2.840.10008.1.2.1x', not a UID"],
    ['a truncated element', () => part10([text(0x00100010, 'PN', 'Some^Name'), text(0x00100020, 'LO', 'IDENTIFIER')]).slice(0, -3), /^element PatientID \(0010,0020\) at byte \d+ declares 10 bytes but only 7 remain \(the file is truncated\)$/],
    ['a cut-off element header', () => part10([text(0x00100010, 'PN', 'Some^Name')]).slice(0, -12), /^element header at byte \d+ is cut off: 6 bytes remain, 8 needed$/],
    ['bytes that are not a VR', () => {
      const bytes = part10([text(0x00100010, 'PN', 'AB'), text(0x00100020, 'LO', 'ID')]);
      bytes.set([0x01, 0x02], bytes.length - 6); // the VR of the second element
      return bytes;
    }, /^element PatientID \(0010,0020\) at byte \d+ has VR bytes 0x01 0x02, not a value representation$/],
    ['a malformed NumberOfFrames', () => part10([...imageElements({ rows: 2, columns: 2 }), text(0x00280008, 'IS', '1A'), raw(0x7fe00010, 'OW', new Uint8Array(8))]), "NumberOfFrames (0028,0008) is '1A', expected an integer string (IS)"],
    ['zero frames', () => part10([...imageElements({ rows: 2, columns: 2 }), text(0x00280008, 'IS', '0'), raw(0x7fe00010, 'OW', new Uint8Array(8))]), 'NumberOfFrames (0028,0008) is 0, expected 1 or more'],
    ['a malformed PixelSpacing', () => part10([...imageElements({ rows: 2, columns: 2 }), text(0x00280030, 'DS', '0.5\\x'), raw(0x7fe00010, 'OW', new Uint8Array(8))]), "PixelSpacing (0028,0030) value 2 is 'x', expected a decimal string (DS)"],
    ['pixel data without Rows', () => part10([raw(0x7fe00010, 'OW', new Uint8Array(8))]), 'PixelData is present but Rows (0028,0010) is missing'],
    ['a sequence item that overruns its sequence', () => {
      const item = new Uint8Array(16);
      const view = new DataView(item.buffer);
      view.setUint32(0, 0xe000fffe, true); // (fffe,e000) item
      view.setUint32(4, 100, true); // declares 100 bytes; the sequence holds 8 more
      return part10([raw(0x00081140, 'SQ', item)]);
    }, /^item of sequence \(0008,1140\) at byte \d+ declares 100 bytes but only 8 remain$/],
  ];

  it.each(refusals)('%s', (_, build, message) => {
    const error = refusal(build());
    expect(error.code).toBe('INVALID_DICOM');
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
  });

  it('sequences nested deeper than 64 levels', () => {
    let nested = [text(0x00081150, 'UI', '1.2.3')];
    for (let depth = 0; depth < 70; depth++) nested = [sequence(0x00081140, [nested])];
    const error = refusal(part10(nested));
    expect(error).toMatchObject({ code: 'INVALID_DICOM' });
    expect(error.message).toMatch(/^sequences are nested deeper than 64 levels at byte \d+$/);
  });

  it('more than a million elements', () => {
    const element = encodeElements([raw(0x00091010, 'LO', new Uint8Array(0))]);
    const body = new Uint8Array(element.length * 1_000_001);
    for (let offset = 0; offset < body.length; offset += element.length) body.set(element, offset);
    const header = part10([]);
    const bytes = new Uint8Array(header.length + body.length);
    bytes.set(header);
    bytes.set(body, header.length);
    expect(refusal(bytes)).toMatchObject({ code: 'IMAGE_TOO_LARGE', message: 'the data set holds more than 1000000 elements' });
  });
});

describe('deflated data sets', () => {
  /** A deflated 2048 x 2048 16-bit image of zeros (8 MiB of PixelData), deflated in slices so the test never holds it. */
  function deflateBomb(): Uint8Array {
    const size = 2048 * 2048 * 2;
    const chunks: Uint8Array[] = [];
    const deflater = new Deflate({ level: 1 }, (chunk) => chunks.push(chunk));
    deflater.push(encodeElements(imageElements({ rows: 2048, columns: 2048 })));
    const header = new Uint8Array(12);
    const view = new DataView(header.buffer);
    view.setUint16(0, 0x7fe0, true);
    view.setUint16(2, 0x0010, true);
    header.set([0x4f, 0x57], 4); // OW
    view.setUint32(8, size, true);
    deflater.push(header);
    const zeros = new Uint8Array(1 << 20);
    for (let written = 0; written < size; written += zeros.length) deflater.push(zeros);
    deflater.push(new Uint8Array(0), true);
    const body = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    return part10([], DEFLATED, { deflatedBody: body });
  }

  it('a deflate bomb stops at the cap', async () => {
    const bomb = deflateBomb();
    expect(bomb.length).toBeLessThan(128 * 1024);
    await expect(decodeDicom(bomb, { window: 'file', frames: 'first', limits: { maxDecodedBytes: 4 << 20 } })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE', message: 'the deflated data set inflates to more than 4194304 bytes (limit maxDecodedBytes)',
    });
    expect(() => readDicomInfo(bomb, { maxInflatedBytes: 1 << 20 })).toThrow('the deflated data set inflates to more than 1048576 bytes (limit maxDecodedBytes)');
    // Within the cap the same file decodes.
    const { frames } = await decodeDicom(bomb, { window: 'file', frames: 'first', limits: { maxDecodedBytes: 64 << 20 } });
    expect(frames[0]!.data.every((value) => value === 0)).toBe(true);
  });

  it('a corrupt deflate stream is INVALID_DICOM', () => {
    const bytes = part10([], DEFLATED, { deflatedBody: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00]) });
    const error = refusal(bytes);
    expect(error.code).toBe('INVALID_DICOM');
    expect(error.message).toMatch(/^the deflated data set cannot be inflated: /);
  });
});

describe('US pixel module values in their own VR', () => {
  it('reads Rows and Columns written as US in explicit VR', () => {
    const bytes = part10([...imageElements({ rows: 3, columns: 5 }), us(0x00280006, 0), raw(0x7fe00010, 'OW', new Uint8Array(30))]);
    expect(readDicomInfo(bytes).image).toMatchObject({ rows: 3, columns: 5 });
  });
});
