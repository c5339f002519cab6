import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDicom, decodeFrameSamples, type FrameSamples } from '../../../adapters/imaging/dicom/index.js';
import { loadCodec } from '../../../adapters/imaging/dicom/codecs.js';
import { applyModality, modalityTransform } from '../../../adapters/imaging/dicom/modality-lut.js';
import { readPart10 } from '../../../adapters/imaging/dicom/part10.js';
import { encapsulated, imageElements, part10 } from '../../fixtures/dicom/build-dicom.js';

/**
 * Golden files: one image in many encodings decodes to the same stored samples, lossless encodings
 * exactly, lossy ones within tolerances measured once and written here (max and mean absolute
 * difference). Lossy CT encodings are compared in Hounsfield units because their encoders rescaled the
 * samples (8-bit: slope 32.1216; 12-bit: slope 2.0002442, intercept -4047).
 */

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${path}`, import.meta.url)));

async function modalityValues(path: string, frameIndex = 0): Promise<{ samples: FrameSamples; values: Float32Array }> {
  const bytes = fixture(path);
  const samples = await decodeFrameSamples(bytes, frameIndex);
  const { dataSet } = readPart10(bytes, { maxInflatedBytes: 1 << 30 });
  return { samples, values: applyModality(samples.samples, modalityTransform(dataSet, frameIndex, samples.signed)) };
}

/** Index of the first differing sample, -1 when equal (cheaper than a deep equality on 262144 samples). */
function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return index;
  return -1;
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let index = 0; index < a.length; index++) {
    const difference = Math.abs(a[index]! - b[index]!);
    if (difference > max) max = difference;
    sum += difference;
  }
  return { max, mean: sum / a.length };
}

const CT = 'cornerstoneWADOImageLoader/CTImage.dcm';

describe('golden: CTImage.dcm in 15 encodings', () => {
  const lossless = [
    '1.2.840.10008.1.2.1 (explicit VR little endian)', 'CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm',
    '1.2.840.10008.1.2.2 (explicit VR big endian)', 'CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm',
    '1.2.840.10008.1.2.1.99 (deflated)', 'CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm',
    '1.2.840.10008.1.2.5 (RLE)', 'CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm',
    '1.2.840.10008.1.2.4.57 (JPEG lossless process 14)', 'CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm',
    '1.2.840.10008.1.2.4.70 (JPEG lossless SV1)', 'CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm',
    '1.2.840.10008.1.2.4.80 (JPEG-LS lossless)', 'CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm',
    '1.2.840.10008.1.2.4.90 (JPEG 2000 lossless)', 'CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm',
  ];
  const pairs = Array.from({ length: lossless.length / 2 }, (_, index) => [lossless[2 * index]!, lossless[2 * index + 1]!] as const);

  it.each(pairs)('%s decodes to exactly the stored samples of the implicit VR original', async (_, file) => {
    const original = await decodeFrameSamples(fixture(CT));
    const decoded = await decodeFrameSamples(fixture(`cornerstoneWADOImageLoader/${file}`));
    expect(original.samples).toBeInstanceOf(Int16Array);
    expect(decoded.samples).toBeInstanceOf(Int16Array);
    expect(firstMismatch(decoded.samples, original.samples)).toBe(-1);
  });

  // Measured with this decoder (HU): the 8-bit baseline file quantises 32 HU per step; the 12-bit DCT
  // files agree with DCMTK's decoding within 1 stored value; JPEG-LS near-lossless has NEAR = 1.
  const lossy = [
    // The encoder's 8-bit quantisation (32 HU a step) biases this file by ~19 HU; DCMTK decodes it identically.
    { encoding: '1.2.840.10008.1.2.4.50 (baseline, 8-bit)', file: 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm', maxHu: 64.22, meanHu: 19.84, bias: 19 },
    { encoding: '1.2.840.10008.1.2.4.51 (extended, 12-bit)', file: 'CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm', maxHu: 35.63, meanHu: 3.84, bias: 1.5 },
    { encoding: '1.2.840.10008.1.2.4.53 (spectral selection, 12-bit)', file: 'CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm', maxHu: 35.63, meanHu: 3.84, bias: 1.5 },
    { encoding: '1.2.840.10008.1.2.4.55 (progressive, 12-bit)', file: 'CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm', maxHu: 35.63, meanHu: 3.84, bias: 1.5 },
    { encoding: '1.2.840.10008.1.2.4.81 (JPEG-LS near-lossless)', file: 'CTImage.dcm_JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm', maxHu: 1, meanHu: 0.7, bias: 1 },
    { encoding: '1.2.840.10008.1.2.4.91 (JPEG 2000)', file: 'CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm', maxHu: 5, meanHu: 0.58, bias: 1 },
  ];

  it.each(lossy)('$encoding decodes within max $maxHu HU, mean $meanHu HU of the original', async ({ file, maxHu, meanHu, bias }) => {
    const original = await modalityValues(CT);
    const decoded = await modalityValues(`cornerstoneWADOImageLoader/${file}`);
    const { max, mean } = differences(decoded.values, original.values);
    expect(max).toBeLessThanOrEqual(maxHu + 0.01);
    expect(mean).toBeLessThanOrEqual(meanHu + 0.005);
    // A lost level shift or refinement sign moves every value the same way; the signed mean shows it.
    const signed = decoded.values.reduce((sum, value, index) => sum + value - original.values[index]!, 0) / decoded.values.length;
    expect(Math.abs(signed)).toBeLessThan(bias);
  });
});

describe('golden: same image, other encodings', () => {
  const sameSamples = [
    ['pydicom/MR_small.dcm', ['pydicom/MR_small_implicit.dcm', 'pydicom/MR_small_bigendian.dcm', 'pydicom/MR_small_expb.dcm', 'pydicom/MR_small_padded.dcm', 'pydicom/MR_small_RLE.dcm', 'pydicom/MR_small_jp2klossless.dcm', 'pydicom/MR_small_jpeg_ls_lossless.dcm'], 1],
    ['dicomParser/CT1_UNC.explicit_little_endian.dcm', ['dicomParser/CT1_UNC.implicit_little_endian.dcm', 'dicomParser/CT1_UNC.explicit_big_endian.dcm', 'dicomParser/CT1_UNC.fragmented_bot_jpeg_ls.80.dcm'], 1],
    ['dicomParser/CT0012.not_fragmented_bot_rle.dcm', ['dicomParser/CT0012.fragmented_no_bot_jpeg_lossless.57.dcm', 'dicomParser/CT0012.fragmented_no_bot_jpeg_lossless.70.dcm'], 2],
    ['pydicom/rtdose.dcm', ['pydicom/rtdose_expb.dcm', 'pydicom/rtdose_rle.dcm'], 15],
    ['pydicom/liver_1frame.dcm', ['pydicom/liver_expb_1frame.dcm'], 1],
    ['pydicom/SC_rgb_rle.dcm', ['pydicom/SC_rgb_jpeg_gdcm.dcm', 'pydicom/SC_rgb_gdcm_KY.dcm', 'pydicom/SC_rgb_rle_2frame.dcm'], 1],
    ['pydicom/SC_rgb_small_odd.dcm', ['pydicom/SC_rgb_small_odd_big_endian.dcm'], 1],
    ['pydicom/JPGExtended.dcm', ['pydicom/JPEG-lossy.dcm'], 1],
  ] as const;

  it.each(sameSamples)('%s: every frame of %j has exactly the same stored samples', async (reference, others, frames) => {
    for (let frame = 0; frame < frames; frame++) {
      const expected = await decodeFrameSamples(fixture(reference), frame);
      for (const other of others) {
        const decoded = await decodeFrameSamples(fixture(other), frame);
        expect([decoded.width, decoded.height, decoded.colorSpace], other).toEqual([expected.width, expected.height, expected.colorSpace]);
        expect(decoded.samples.constructor, other).toBe(expected.samples.constructor);
        expect(firstMismatch(decoded.samples, expected.samples), `${other} frame ${frame}`).toBe(-1);
      }
    }
  });

  it('16- and 32-bit RGB (RLE) scale to the same 0..255 colours as 8-bit RGB, frame by frame', async () => {
    for (const [reference, wider] of [['SC_rgb_rle.dcm', ['SC_rgb_rle_16bit.dcm', 'SC_rgb_rle_32bit.dcm']], ['SC_rgb_rle_2frame.dcm', ['SC_rgb_rle_16bit_2frame.dcm', 'SC_rgb_rle_32bit_2frame.dcm']]] as const) {
      const expected = (await decodeDicom(fixture(`pydicom/${reference}`), { window: 'file', frames: 'all' })).frames;
      for (const file of wider) {
        const { frames } = await decodeDicom(fixture(`pydicom/${file}`), { window: 'file', frames: 'all' });
        expect(frames).toHaveLength(expected.length);
        frames.forEach((frame, index) => expect(differences(frame.data, expected[index]!.data).max, `${file} frame ${index + 1}`).toBeLessThan(1e-3));
      }
    }
  });

  // The same 100x100 colour bars in RGB, YBR_FULL and YBR_FULL_422, lossless and lossy; reference: RLE.
  // Measured: 4:2:0 chroma subsampling blurs the sharp colour edges (max 77), the mean stays below 3.
  const colour = [
    { encoding: 'native YBR_FULL_422', file: 'SC_ybr_full_422_uncompressed.dcm', maxDifference: 6, meanDifference: 0.56 },
    { encoding: 'JPEG baseline, RGB (Adobe, no transform)', file: 'SC_rgb_dcmtk_+eb+cr.dcm', maxDifference: 2, meanDifference: 0.14 },
    { encoding: 'JPEG baseline, YBR_FULL 4:2:2', file: 'SC_rgb_dcmtk_+eb+cy+n2.dcm', maxDifference: 6, meanDifference: 0.57 },
    { encoding: 'JPEG baseline, YBR_FULL_422 4:2:2', file: 'SC_rgb_dcmtk_+eb+cy+s2.dcm', maxDifference: 6, meanDifference: 0.57 },
    { encoding: 'JPEG baseline, YBR_FULL 4:4:4', file: 'SC_rgb_dcmtk_+eb+cy+s4.dcm', maxDifference: 6, meanDifference: 0.57 },
    { encoding: 'JPEG baseline, YBR_FULL 4:2:0', file: 'SC_rgb_dcmtk_+eb+cy+n1.dcm', maxDifference: 77, meanDifference: 2.83 },
    { encoding: 'JPEG baseline, YBR_FULL_422 4:2:0', file: 'SC_rgb_dcmtk_+eb+cy+np.dcm', maxDifference: 77, meanDifference: 2.83 },
    { encoding: 'JPEG baseline (GDCM), YBR_FULL 4:2:0', file: 'SC_rgb_jpeg_lossy_gdcm.dcm', maxDifference: 75, meanDifference: 2.61 },
    { encoding: 'JPEG-LS near-lossless, line interleaved', file: 'SC_rgb_jls_lossy_line.dcm', maxDifference: 2, meanDifference: 0.7 },
    { encoding: 'JPEG-LS near-lossless, sample interleaved', file: 'SC_rgb_jls_lossy_sample.dcm', maxDifference: 2, meanDifference: 0.7 },
  ];

  it.each(colour)('$encoding ($file) gives RGB within max $maxDifference, mean $meanDifference of the lossless RGB reference', async ({ file, maxDifference, meanDifference }) => {
    const reference = (await decodeDicom(fixture('pydicom/SC_rgb_rle.dcm'), { window: 'file', frames: 'first' })).frames[0]!;
    const decoded = (await decodeDicom(fixture(`pydicom/${file}`), { window: 'file', frames: 'first' })).frames[0]!;
    expect(decoded.channels).toBe(3);
    const { max, mean } = differences(decoded.data, reference.data);
    expect(max).toBeLessThanOrEqual(maxDifference + 0.01);
    expect(mean).toBeLessThanOrEqual(meanDifference + 0.005);
  });

  it('native YBR_FULL_422 turns into the RGB its JPEG source decodes to', async () => {
    const source = (await decodeDicom(fixture('pydicom/SC_rgb_dcmtk_+eb+cy+n2.dcm'), { window: 'file', frames: 'first' })).frames[0]!;
    const converted = (await decodeDicom(fixture('pydicom/SC_ybr_full_422_uncompressed.dcm'), { window: 'file', frames: 'first' })).frames[0]!;
    const { max, mean } = differences(converted.data, source.data);
    expect(max).toBeLessThan(0.5);
    expect(mean).toBeLessThan(0.1);
  });

  it('an RGB JPEG stored without colour transform decodes to its DCMTK-decompressed copy (within the IDCT rounding)', async () => {
    const decompressed = (await decodeDicom(fixture('pydicom/SC_rgb_jpeg_dcmd.dcm'), { window: 'file', frames: 'first' })).frames[0]!;
    for (const file of ['pydicom/SC_jpeg_no_color_transform.dcm', 'pydicom/SC_rgb_jpeg.dcm']) {
      const decoded = (await decodeDicom(fixture(file), { window: 'file', frames: 'first' })).frames[0]!;
      const { max, mean } = differences(decoded.data, decompressed.data);
      expect(max, file).toBeLessThanOrEqual(1);
      expect(mean, file).toBeLessThan(0.01);
    }
  });
});

describe('golden: HTJ2K (no fixture in the corpus: encoded here with the OpenJPH encoder the codec package ships)', () => {
  interface Encoder {
    getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean; isUsingColorTransform: boolean }): Uint8Array;
    setQuality(lossless: boolean, quantizationStep: number): void;
    encode(): void;
    getEncodedBuffer(): Uint8Array;
    delete(): void;
  }

  async function encodeHtj2k(samples: Uint8Array, info: Parameters<Encoder['getDecodedBuffer']>[0]): Promise<Uint8Array> {
    const module = (await loadCodec('openjph')) as unknown as { HTJ2KEncoder: new () => Encoder };
    const encoder = new module.HTJ2KEncoder();
    try {
      encoder.getDecodedBuffer(info).set(samples);
      encoder.setQuality(true, 0);
      encoder.encode();
      return encoder.getEncodedBuffer().slice();
    } finally {
      encoder.delete();
    }
  }

  it.each(['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203'])('signed 16-bit CT in %s decodes exactly', async (transferSyntax) => {
    const original = await decodeFrameSamples(fixture(CT));
    const stored = new Uint8Array(original.samples.buffer, original.samples.byteOffset, original.samples.byteLength);
    const codestream = await encodeHtj2k(stored, { width: 512, height: 512, bitsPerSample: 16, componentCount: 1, isSigned: true, isUsingColorTransform: false });
    const bytes = part10([...imageElements({ rows: 512, columns: 512, signed: true }), encapsulated([codestream])], transferSyntax);
    const decoded = await decodeFrameSamples(bytes);
    expect(decoded.samples).toBeInstanceOf(Int16Array);
    expect(firstMismatch(decoded.samples, original.samples)).toBe(-1);
  });

  it('RGB with the reversible colour transform (YBR_RCT) decodes to the original RGB', async () => {
    const original = await decodeFrameSamples(fixture('pydicom/SC_rgb_rle.dcm'));
    const codestream = await encodeHtj2k(original.samples as Uint8Array, { width: 100, height: 100, bitsPerSample: 8, componentCount: 3, isSigned: false, isUsingColorTransform: true });
    const elements = imageElements({ rows: 100, columns: 100, bitsAllocated: 8, photometric: 'YBR_RCT', samplesPerPixel: 3, planar: 0 });
    const decoded = await decodeFrameSamples(part10([...elements, encapsulated([codestream])], '1.2.840.10008.1.2.4.201'));
    expect(decoded.colorSpace).toBe('RGB');
    expect(firstMismatch(decoded.samples, original.samples)).toBe(-1);
  });
});
