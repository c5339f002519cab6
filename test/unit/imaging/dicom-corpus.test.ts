import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDicom, readDicomInfo } from '../../../adapters/imaging/dicom/index.js';
import { ImagingInputError } from '../../../adapters/imaging/raster.js';

/**
 * Every file of the fixture corpus (test/fixtures/dicom, see its README) either decodes or is refused with
 * a precise ImagingInputError, as written below for each file: a file that starts failing, or starts
 * decoding when it should be refused, fails this test. Decoded files pin frame count, size, channels and
 * the mean of the first frame's raster (window 'file'), so that a change in pixel values shows too.
 */

const corpus = fileURLToPath(new URL('../../fixtures/dicom/', import.meta.url));

type Outcome =
  | { readonly kind: 'decodes'; readonly frames: number; readonly width: number; readonly height: number; readonly channels: 1 | 3; readonly mean: number }
  | { readonly kind: 'rejected'; readonly code: ImagingInputError['code']; readonly message: string };

const decodes = (frames: number, width: number, height: number, channels: 1 | 3, mean: number): Outcome => ({ kind: 'decodes', frames, width, height, channels, mean });
const rejected = (code: ImagingInputError['code'], message: string): Outcome => ({ kind: 'rejected', code, message });

const NOT_PART10 = "no 'DICM' prefix at byte 128: not a DICOM Part 10 file (a data set without preamble and file meta information is not accepted)";

const expected = new Map<string, Outcome>([
  ['cornerstoneWADOImageLoader/CTImage.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm', decodes(1, 512, 512, 1, 47.31)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm', decodes(1, 512, 512, 1, 47.09)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm', decodes(1, 512, 512, 1, 43.07)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm', decodes(1, 512, 512, 1, 47.09)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm', decodes(1, 512, 512, 1, 47.09)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm', decodes(1, 512, 512, 1, 47.32)],
  ['cornerstoneWADOImageLoader/US-YBR_FULL_422-EVRLE.dcm', decodes(1, 800, 555, 3, 15.65)],
  ['cornerstoneWADOImageLoader/no-pixel-data.dcm', rejected('NO_PIXEL_DATA', "no pixel data: this is an SR document (SOP class 1.2.840.10008.5.1.4.1.1.88.11)")],
  ['cornerstoneWADOImageLoader/no-pixel-spacing.dcm', decodes(1, 800, 600, 3, 5.81)],
  ['dicomParser/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm', decodes(2, 512, 512, 1, 96.06)],
  ['dicomParser/CT0012.fragmented_no_bot_jpeg_lossless.57.dcm', decodes(2, 512, 512, 1, 39.35)],
  ['dicomParser/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm', decodes(2, 512, 512, 1, 39.35)],
  ['dicomParser/CT0012.fragmented_no_bot_jpeg_ls.81.dcm', decodes(2, 512, 512, 1, 39.39)],
  ['dicomParser/CT0012.not_fragmented_bot_rle.dcm', decodes(2, 512, 512, 1, 39.35)],
  ['dicomParser/CT1_UNC.explicit_big_endian.dcm', decodes(1, 512, 512, 1, 128.32)],
  ['dicomParser/CT1_UNC.explicit_little_endian.dcm', decodes(1, 512, 512, 1, 128.32)],
  ['dicomParser/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm', decodes(1, 512, 512, 1, 128.32)],
  ['dicomParser/CT1_UNC.implicit_little_endian.dcm', decodes(1, 512, 512, 1, 128.32)],
  ['dicomParser/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm', decodes(8, 320, 240, 3, 56.33)],
  ['dicomParser/report_dfl', rejected('NO_PIXEL_DATA', "no pixel data: this is an SR document (SOP class 1.2.840.10008.5.1.4.1.1.88.22)")],
  ['dicomParser/wave_dfl', rejected('NO_PIXEL_DATA', "no pixel data: this is a hemodynamic waveform (SOP class 1.2.840.10008.5.1.4.1.1.9.2.1)")],
  ['pydicom/693_J2KI.dcm', decodes(1, 512, 512, 1, 44.34)],
  ['pydicom/CT_small.dcm', decodes(1, 128, 128, 1, 96.03)],
  ['pydicom/ExplVR_BigEnd.dcm', decodes(1, 80, 60, 3, 171.58)],
  ['pydicom/ExplVR_BigEndNoMeta.dcm', rejected('INVALID_DICOM', NOT_PART10)],
  ['pydicom/ExplVR_LitEndNoMeta.dcm', rejected('INVALID_DICOM', NOT_PART10)],
  ['pydicom/GDCMJ2K_TextGBR.dcm', decodes(1, 400, 400, 3, 124.44)],
  // Listed as broken upstream (J2K samples unsigned, PixelRepresentation 1, BitsStored 13). Read as the DICOM
  // header says (13-bit two's complement, as pydicom corrects it), it is a plausible CT: padding -2000, air ~-1000.
  ['pydicom/J2K_pixelrep_mismatch.dcm', decodes(1, 512, 512, 1, 63.21)],
  ['pydicom/JPEG-lossy.dcm', decodes(1, 256, 1024, 1, 13.79)],
  // JPEG2000.dcm with 4 codestream bytes overwritten by a sequence delimiter: they land in the SIZ marker.
  ['pydicom/JPEG2000-embedded-sequence-delimiter.dcm', rejected('INVALID_DICOM', "frame 1 (transfer syntax 1.2.840.10008.1.2.4.91 (JPEG 2000)): the codestream is 3722445056x1024, the DICOM header says 256x1024")],
  ['pydicom/JPEG2000.dcm', decodes(1, 256, 1024, 1, 40.30)],
  ['pydicom/JPEGLSNearLossless_08.dcm', decodes(1, 10, 45, 1, 55.56)],
  ['pydicom/JPEGLSNearLossless_16.dcm', decodes(1, 10, 50, 1, 46.75)],
  ['pydicom/JPGExtended.dcm', decodes(1, 256, 1024, 1, 13.79)],
  ['pydicom/MR_small.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_small_RLE.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_small_bigendian.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_small_expb.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_small_implicit.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_small_jp2klossless.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_small_jpeg_ls_lossless.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_small_padded.dcm', decodes(1, 64, 64, 1, 113.06)],
  ['pydicom/MR_truncated.dcm', rejected('INVALID_DICOM', "PixelData holds 8130 bytes, 8192 expected for 64x64x16 bits")],
  ['pydicom/SC_jpeg_no_color_transform.dcm', decodes(1, 256, 256, 3, 243.98)],
  ['pydicom/SC_jpeg_no_color_transform_2.dcm', decodes(1, 256, 256, 3, 245.64)],
  ['pydicom/SC_rgb_dcmtk_+eb+cr.dcm', decodes(1, 100, 100, 3, 127.74)],
  ['pydicom/SC_rgb_dcmtk_+eb+cy+n1.dcm', decodes(1, 100, 100, 3, 127.55)],
  ['pydicom/SC_rgb_dcmtk_+eb+cy+n2.dcm', decodes(1, 100, 100, 3, 127.73)],
  ['pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm', decodes(1, 100, 100, 3, 127.55)],
  ['pydicom/SC_rgb_dcmtk_+eb+cy+s2.dcm', decodes(1, 100, 100, 3, 127.73)],
  ['pydicom/SC_rgb_dcmtk_+eb+cy+s4.dcm', decodes(1, 100, 100, 3, 127.73)],
  ['pydicom/SC_rgb_gdcm_KY.dcm', decodes(1, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_jls_lossy_line.dcm', decodes(1, 100, 100, 3, 128.00)],
  ['pydicom/SC_rgb_jls_lossy_sample.dcm', decodes(1, 100, 100, 3, 128.00)],
  // Data set written in implicit VR under a JPEG transfer syntax (explicit VR); read in the encoding it has.
  ['pydicom/SC_rgb_jpeg.dcm', decodes(1, 256, 256, 3, 243.98)],
  ['pydicom/SC_rgb_jpeg_app14_dcmd.dcm', decodes(1, 256, 256, 3, 245.64)],
  ['pydicom/SC_rgb_jpeg_dcmd.dcm', decodes(1, 256, 256, 3, 243.97)],
  ['pydicom/SC_rgb_jpeg_dcmtk.dcm', decodes(1, 100, 100, 3, 127.73)],
  ['pydicom/SC_rgb_jpeg_gdcm.dcm', decodes(1, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_jpeg_lossy_gdcm.dcm', decodes(1, 100, 100, 3, 127.53)],
  ['pydicom/SC_rgb_rle.dcm', decodes(1, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_rle_16bit.dcm', decodes(1, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_rle_16bit_2frame.dcm', decodes(2, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_rle_2frame.dcm', decodes(2, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_rle_32bit.dcm', decodes(1, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_rle_32bit_2frame.dcm', decodes(2, 100, 100, 3, 127.70)],
  ['pydicom/SC_rgb_small_odd.dcm', decodes(1, 3, 3, 3, 128.78)],
  ['pydicom/SC_rgb_small_odd_big_endian.dcm', decodes(1, 3, 3, 3, 128.78)],
  ['pydicom/SC_rgb_small_odd_jpeg.dcm', decodes(1, 3, 3, 3, 128.33)],
  ['pydicom/SC_ybr_full_422_uncompressed.dcm', decodes(1, 100, 100, 3, 127.73)],
  ['pydicom/UN_sequence.dcm', rejected('NO_PIXEL_DATA', "no pixel data: the object has no PixelData (7fe0,0010) (SOP class 1.2.840.10008.5.1.4.1.1.2)")],
  ['pydicom/badVR.dcm', rejected('INVALID_DICOM', "NumberOfFrames (0028,0008) is '1A', expected an integer string (IS)")],
  // Not DICOM: an ICC profile.
  ['pydicom/crayons.icc', rejected('INVALID_DICOM', NOT_PART10)],
  ['pydicom/dicomdir_cr_ct_mr/77654033_CR1_6154', decodes(1, 16, 16, 1, 97.73)],
  ['pydicom/dicomdir_cr_ct_mr/77654033_CR2_6247', decodes(1, 16, 16, 1, 157.64)],
  ['pydicom/dicomdir_cr_ct_mr/77654033_CT2_17106', decodes(1, 16, 16, 1, 12.02)],
  ['pydicom/dicomdir_cr_ct_mr/98892003_MR1_15820', decodes(1, 16, 16, 1, 225.03)],
  ['pydicom/empty_charset_LEI.dcm', rejected('NO_PIXEL_DATA', "no pixel data: the object has no PixelData (7fe0,0010)")],
  ['pydicom/examples_jpeg2k.dcm', decodes(1, 640, 480, 3, 34.53)],
  ['pydicom/examples_overlay.dcm', decodes(1, 484, 300, 1, 48.11)],
  ['pydicom/examples_palette.dcm', decodes(1, 800, 350, 3, 20.41)],
  ['pydicom/examples_rgb_color.dcm', decodes(1, 320, 240, 3, 34.27)],
  ['pydicom/examples_ybr_color.dcm', decodes(30, 320, 240, 3, 9.47)],
  ['pydicom/image_dfl.dcm', decodes(1, 512, 512, 1, 127.12)],
  ['pydicom/liver_1frame.dcm', decodes(1, 512, 512, 1, 35.25)],
  ['pydicom/liver_expb_1frame.dcm', decodes(1, 512, 512, 1, 35.25)],
  ['pydicom/meta_missing_tsyntax.dcm', rejected('INVALID_DICOM', "the file meta information has no TransferSyntaxUID (0002,0010)")],
  ['pydicom/nested_priv_SQ.dcm', rejected('INVALID_DICOM', "PixelData is present but Rows (0028,0010) is missing")],
  ['pydicom/no_meta.dcm', rejected('INVALID_DICOM', NOT_PART10)],
  ['pydicom/no_meta_group_length.dcm', rejected('NO_PIXEL_DATA', "no pixel data: the object has no PixelData (7fe0,0010) (SOP class 1.2.840.10008.5.1.4.1.1.481.1)")],
  ['pydicom/priv_SQ.dcm', rejected('NO_PIXEL_DATA', "no pixel data: the object has no PixelData (7fe0,0010) (SOP class 1.2.840.10008.5.1.4.1.1.4)")],
  ['pydicom/reportsi.dcm', rejected('NO_PIXEL_DATA', "no pixel data: this is an SR document (SOP class 1.2.840.10008.5.1.4.1.1.88.11)")],
  ['pydicom/reportsi_with_empty_number_tags.dcm', rejected('NO_PIXEL_DATA', "no pixel data: this is an SR document (SOP class 1.2.840.10008.5.1.4.1.1.88.11)")],
  ['pydicom/rtdose.dcm', decodes(15, 10, 10, 1, 121.54)],
  ['pydicom/rtdose_1frame.dcm', decodes(1, 10, 10, 1, 121.54)],
  // 32-bit samples in big endian, stored as 32-bit big-endian words (pydicom's reading; DCMTK swaps 16-bit words).
  ['pydicom/rtdose_expb.dcm', decodes(15, 10, 10, 1, 121.54)],
  ['pydicom/rtdose_expb_1frame.dcm', decodes(1, 10, 10, 1, 121.54)],
  ['pydicom/rtdose_rle.dcm', decodes(15, 10, 10, 1, 121.54)],
  ['pydicom/rtdose_rle_1frame.dcm', decodes(1, 10, 10, 1, 121.54)],
  ['pydicom/rtplan.dcm', rejected('NO_PIXEL_DATA', "no pixel data: this is an RT Plan (SOP class 1.2.840.10008.5.1.4.1.1.481.5)")],
  ['pydicom/rtplan_truncated.dcm', rejected('INVALID_DICOM', "element (300a,00b0) at byte 1410 declares 976 bytes but only 711 remain (the file is truncated)")],
  ['pydicom/rtstruct.dcm', rejected('INVALID_DICOM', NOT_PART10)],
  ['pydicom/test-SR.dcm', rejected('NO_PIXEL_DATA', "no pixel data: this is an SR document (SOP class 1.2.840.10008.5.1.4.1.1.88.33)")],
  ['pydicom/waveform_ecg.dcm', rejected('NO_PIXEL_DATA', "no pixel data: this is a 12-lead ECG waveform (SOP class 1.2.840.10008.5.1.4.1.1.9.1.1)")],
  // Not DICOM: a gzip of MR_small.dcm.
  ['pydicom/zipMR.gz', rejected('INVALID_DICOM', NOT_PART10)],
]);

/** Documentation and non-image companions of the corpus; everything else is sent to the decoder. */
const NOT_INPUT = /(^|\/)(README[^/]*|LICENSE[^/]*|COMMIT|metadata)$|\.(txt|md|json|dump|dat|ts)$/;

function corpusFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!NOT_INPUT.test(relative(corpus, path))) files.push(relative(corpus, path));
    }
  };
  walk(corpus);
  return files.sort();
}

describe('DICOM fixture corpus', () => {
  const files = corpusFiles();

  it('has an expected outcome written for every file, and a file for every outcome', () => {
    expect(files.filter((file) => !expected.has(file))).toEqual([]);
    expect([...expected.keys()].filter((file) => !files.includes(file))).toEqual([]);
  });

  it.each([...expected.entries()])('%s', async (file, outcome) => {
    const bytes = new Uint8Array(readFileSync(join(corpus, file)));
    const result = await decodeDicom(bytes, { window: 'file', frames: 'all' }).catch((error: unknown) => error);
    if (outcome.kind === 'rejected') {
      expect(result).toBeInstanceOf(ImagingInputError);
      expect(result).toMatchObject({ code: outcome.code, message: outcome.message });
      return;
    }
    if (result instanceof Error) throw result;
    const { frames, info } = result as Awaited<ReturnType<typeof decodeDicom>>;
    expect(frames).toHaveLength(outcome.frames);
    expect(info.image?.numberOfFrames).toBe(outcome.frames);
    for (const frame of frames) {
      expect([frame.width, frame.height, frame.channels]).toEqual([outcome.width, outcome.height, outcome.channels]);
      expect(frame.data).toHaveLength(outcome.width * outcome.height * outcome.channels);
      expect(frame.data.every((value) => Number.isFinite(value) && value >= 0 && value <= 255)).toBe(true);
    }
    const mean = frames[0]!.data.reduce((sum, value) => sum + value, 0) / frames[0]!.data.length;
    expect(mean).toBeCloseTo(outcome.mean, 1);
  });

  it('reads the header of every decodable file without decoding pixels', () => {
    for (const [file, outcome] of expected) {
      if (outcome.kind !== 'decodes') continue;
      const info = readDicomInfo(new Uint8Array(readFileSync(join(corpus, file))));
      expect(info.image, file).toMatchObject({ columns: outcome.width, rows: outcome.height, numberOfFrames: outcome.frames });
      expect(info.transferSyntaxUID, file).toMatch(/^1\.2\.840\.10008\.1\.2/);
    }
  });
});
