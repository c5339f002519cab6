import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDicom, decodeFrameSamples, readDicomInfo, windowFunction } from '../../../adapters/imaging/dicom/index.js';
import { ImagingInputError } from '../../../adapters/imaging/raster.js';
import { encapsulated, imageElements, part10, raw, sequence, text, us, words16 } from '../../fixtures/dicom/build-dicom.js';

/** The display pipeline: window math, modality LUT, signed and masked samples, MONOCHROME1, colour, palette, frames. */

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${path}`, import.meta.url)));

function extremes(values: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let index = 0; index < values.length; index++) {
    min = Math.min(min, values[index]!);
    max = Math.max(max, values[index]!);
  }
  return [min, max];
}

async function firstRaster(bytes: Uint8Array, window: Parameters<typeof decodeDicom>[1]['window']) {
  return (await decodeDicom(bytes, { window, frames: 'first' })).frames[0]!;
}

describe('VOI window functions (PS3.3 C.11.2.1.2, C.11.2.1.3) onto 0..255', () => {
  it('LINEAR: center 40, width 400 maps (-160, 239] onto 0..255 with 39.5 at the middle', () => {
    const map = windowFunction({ center: 40, width: 400, function: 'LINEAR' });
    expect(map(-1000)).toBe(0);
    expect(map(-160)).toBe(0);
    expect(map(39.5)).toBeCloseTo(127.5, 10);
    expect(map(-159)).toBeCloseTo(255 * (0.5 + (-159 - 39.5) / 399), 10);
    expect(map(239)).toBeCloseTo(255, 10);
    expect(map(239.01)).toBe(255);
  });

  it('LINEAR with width 1 is a threshold at center - 0.5', () => {
    const map = windowFunction({ center: 100, width: 1, function: 'LINEAR' });
    expect([map(99), map(99.5), map(99.6), map(100)]).toEqual([0, 0, 255, 255]);
  });

  it('LINEAR_EXACT and SIGMOID', () => {
    const exact = windowFunction({ center: 0, width: 100, function: 'LINEAR_EXACT' });
    expect([exact(-50), exact(0), exact(25), exact(50), exact(51)]).toEqual([0, 127.5, 191.25, 255, 255]);
    const sigmoid = windowFunction({ center: 0, width: 100, function: 'SIGMOID' });
    expect(sigmoid(0)).toBeCloseTo(127.5, 10);
    expect(sigmoid(100)).toBeCloseTo(255 / (1 + Math.exp(-4)), 10);
  });
});

describe('modality LUT and window on real files', () => {
  it('CT: rescale (intercept -1024) then an explicit window, per pixel', async () => {
    const bytes = fixture('pydicom/CT_small.dcm');
    const samples = await decodeFrameSamples(bytes);
    expect(samples.samples).toBeInstanceOf(Int16Array);
    const raster = await firstRaster(bytes, { center: 40, width: 400 });
    const map = windowFunction({ center: 40, width: 400, function: 'LINEAR' });
    samples.samples.forEach((stored, index) => expect(raster.data[index]).toBeCloseTo(map(stored - 1024), 3));
  });

  it('signed CT: the padding value -2000 stays negative (-3024 HU) and renders black', async () => {
    const bytes = fixture('cornerstoneWADOImageLoader/CTImage.dcm');
    const { samples } = await decodeFrameSamples(bytes);
    expect(extremes(samples)[0]).toBe(-2000);
    expect(samples[0]).toBe(-2000);
    expect((await firstRaster(bytes, 'file')).data[0]).toBe(0);
  });

  it("'file' takes the first WindowCenter/WindowWidth; 'minmax' spans the frame", async () => {
    const bytes = fixture('cornerstoneWADOImageLoader/CTImage.dcm');
    const fromFile = await firstRaster(bytes, 'file');
    const explicit = await firstRaster(bytes, { center: 40, width: 400 });
    expect(Array.from(fromFile.data)).toEqual(Array.from(explicit.data));
    const minmax = await firstRaster(bytes, 'minmax');
    expect(extremes(minmax.data)).toEqual([0, 255]);
  });

  it("'file' falls back to min..max when the file has no window", async () => {
    const bytes = fixture('pydicom/CT_small.dcm');
    expect(Array.from((await firstRaster(bytes, 'file')).data)).toEqual(Array.from((await firstRaster(bytes, 'minmax')).data));
  });

  it('enhanced CT: rescale and window come from the functional groups', async () => {
    const bytes = fixture('dicomParser/CT0012.not_fragmented_bot_rle.dcm');
    const fromFile = await firstRaster(bytes, 'file');
    const explicit = await firstRaster(bytes, { center: 49, width: 102 });
    expect(Array.from(fromFile.data)).toEqual(Array.from(explicit.data));
    const { samples } = await decodeFrameSamples(bytes);
    const map = windowFunction({ center: 49, width: 102, function: 'LINEAR' });
    expect(fromFile.data[1000]).toBeCloseTo(map(samples[1000]! - 1024), 3);
  });

  it('MONOCHROME1 (CR, slope 0.684, intercept 200) is inverted after the window', async () => {
    const bytes = fixture('pydicom/dicomdir_cr_ct_mr/77654033_CR1_6154');
    expect(readDicomInfo(bytes).image?.photometricInterpretation).toBe('MONOCHROME1');
    const { samples } = await decodeFrameSamples(bytes);
    const raster = await firstRaster(bytes, { center: 1600, width: 2800 });
    const map = windowFunction({ center: 1600, width: 2800, function: 'LINEAR' });
    samples.forEach((stored, index) => expect(raster.data[index]).toBeCloseTo(255 - map(stored * 0.684 + 200), 3));
  });

  it('a Modality LUT Sequence replaces the rescale', async () => {
    const lut = sequence(0x00283000, [[us(0x00283002, 4, 0, 16), raw(0x00283006, 'OW', words16([100, 200, 300, 400]))]]);
    const bytes = part10([...imageElements({ rows: 1, columns: 6 }), text(0x00281053, 'DS', '5'), lut, raw(0x7fe00010, 'OW', words16([0, 1, 2, 3, 4, 9]))]);
    const raster = await firstRaster(bytes, { center: 250.5, width: 301 });
    expect(Array.from(raster.data, (value) => Math.round(value * 100) / 100)).toEqual([0, 85, 170, 255, 255, 255]);
  });
});

describe('stored values: BitsStored masking, HighBit and sign extension', () => {
  it('12 signed bits in 16-bit words ignore the unused high bits', async () => {
    const values = [0xf830, 0x0830, 0x17ff, 0x0800, 0x07ff, 0x0000];
    const bytes = part10([...imageElements({ rows: 1, columns: 6, bitsStored: 12, signed: true }), raw(0x7fe00010, 'OW', words16(values))]);
    const { samples } = await decodeFrameSamples(bytes);
    expect(samples).toBeInstanceOf(Int16Array);
    expect(Array.from(samples)).toEqual([-2000, -2000, 2047, -2048, 2047, 0]);
  });

  it('a HighBit above BitsStored - 1 shifts the stored bits down', async () => {
    const elements = imageElements({ rows: 1, columns: 3, bitsStored: 12 }).map((element) => (element.tag === 0x00280102 ? us(0x00280102, 15) : element));
    const bytes = part10([...elements, raw(0x7fe00010, 'OW', words16([0xfff0, 0x0010, 0x8005]))]);
    expect(Array.from((await decodeFrameSamples(bytes)).samples)).toEqual([0xfff, 0x001, 0x800]);
  });

  it('J2K_pixelrep_mismatch.dcm: unsigned 13-bit J2K samples read as signed, as the header says', async () => {
    const { samples } = await decodeFrameSamples(fixture('pydicom/J2K_pixelrep_mismatch.dcm'));
    expect(samples).toBeInstanceOf(Int16Array);
    const [min, max] = extremes(samples);
    expect(min).toBe(-2000);
    expect(max).toBeLessThan(4096);
  });
});

describe('colour', () => {
  const rgb = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
  it('planar configuration 1 gives the same pixels as 0', async () => {
    const interleaved = part10([...imageElements({ rows: 2, columns: 2, bitsAllocated: 8, photometric: 'RGB', samplesPerPixel: 3, planar: 0 }), raw(0x7fe00010, 'OB', new Uint8Array(rgb))]);
    const planes = [0, 1, 2].flatMap((channel) => [0, 1, 2, 3].map((pixel) => rgb[pixel * 3 + channel]!));
    const planar = part10([...imageElements({ rows: 2, columns: 2, bitsAllocated: 8, photometric: 'RGB', samplesPerPixel: 3, planar: 1 }), raw(0x7fe00010, 'OB', new Uint8Array(planes))]);
    const a = await firstRaster(interleaved, 'file');
    const b = await firstRaster(planar, 'file');
    expect(a.channels).toBe(3);
    expect(Array.from(b.data)).toEqual(rgb);
    expect(Array.from(a.data)).toEqual(rgb);
  });

  it('YBR_FULL: Y only is gray, full Cr is red (BT.601 full range), no windowing', async () => {
    const ybr = [128, 128, 128, 76, 85, 255];
    const bytes = part10([...imageElements({ rows: 1, columns: 2, bitsAllocated: 8, photometric: 'YBR_FULL', samplesPerPixel: 3 }), raw(0x7fe00010, 'OB', new Uint8Array(ybr))]);
    const raster = await firstRaster(bytes, { center: 0, width: 1 });
    expect(Array.from(raster.data.subarray(0, 3))).toEqual([128, 128, 128]);
    const [r, g, b] = raster.data.subarray(3);
    expect(r).toBeCloseTo(254.2, 0);
    expect(g).toBeCloseTo(0, 0);
    expect(b).toBeCloseTo(0, 0);
  });

  it('YBR_FULL_422 pairs share their chroma', async () => {
    const pairs = [100, 200, 128, 128]; // Y1 Y2 Cb Cr
    const bytes = part10([...imageElements({ rows: 1, columns: 2, bitsAllocated: 8, photometric: 'YBR_FULL_422', samplesPerPixel: 3 }), raw(0x7fe00010, 'OB', new Uint8Array(pairs))]);
    expect(Array.from((await firstRaster(bytes, 'file')).data)).toEqual([100, 100, 100, 200, 200, 200]);
  });

  it('PALETTE COLOR with 8-bit entries: indices below the first mapped value take the first entry, above the last the last', async () => {
    const descriptor = (tag: number) => us(tag, 3, 10, 8);
    // Three entries written one per 16-bit word (the usual encoding of 8-bit entries).
    const words = (values: number[]) => words16(values);
    const bytes = part10([
      ...imageElements({ rows: 1, columns: 5, bitsAllocated: 8, photometric: 'PALETTE COLOR' }),
      descriptor(0x00281101), descriptor(0x00281102), descriptor(0x00281103),
      raw(0x00281201, 'OW', words([255, 0, 0])), raw(0x00281202, 'OW', words([0, 255, 0])), raw(0x00281203, 'OW', words([0, 0, 255])),
      raw(0x7fe00010, 'OB', new Uint8Array([0, 10, 11, 12, 200, 0])),
    ]);
    const raster = await firstRaster(bytes, 'file');
    expect(raster.channels).toBe(3);
    expect(Array.from(raster.data)).toEqual([255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255]);
  });

  it('PALETTE COLOR with 16-bit entries scales them to 0..255', async () => {
    const descriptor = (tag: number) => us(tag, 3, 0, 16);
    const bytes = part10([
      ...imageElements({ rows: 1, columns: 3, bitsAllocated: 8, photometric: 'PALETTE COLOR' }),
      descriptor(0x00281101), descriptor(0x00281102), descriptor(0x00281103),
      raw(0x00281201, 'OW', words16([0, 32768, 65535])), raw(0x00281202, 'OW', words16([65535, 0, 0])), raw(0x00281203, 'OW', words16([0, 0, 65535])),
      raw(0x7fe00010, 'OB', new Uint8Array([0, 1, 2, 0])),
    ]);
    const raster = await firstRaster(bytes, 'file');
    expect(Array.from(raster.data, (value) => Math.round(value * 1000) / 1000)).toEqual([0, 255, 0, 127.502, 0, 0, 255, 0, 255]);
    // A real ultrasound palette: pixel 0 holds index 244.
    expect((await decodeFrameSamples(fixture('pydicom/examples_palette.dcm'))).samples[0]).toBe(244);
  });
});

describe('frames', () => {
  it("'first' decodes one frame, 'all' every frame, each its own", async () => {
    const bytes = fixture('pydicom/rtdose.dcm');
    expect((await decodeDicom(bytes, { window: 'minmax', frames: 'first' })).frames).toHaveLength(1);
    const all = await decodeDicom(bytes, { window: 'minmax', frames: 'all' });
    expect(all.frames).toHaveLength(15);
    const firstSamples = await decodeFrameSamples(bytes, 0);
    const lastSamples = await decodeFrameSamples(bytes, 14);
    expect(Array.from(lastSamples.samples)).not.toEqual(Array.from(firstSamples.samples));
    await expect(decodeFrameSamples(bytes, 15)).rejects.toThrow(RangeError);
  });

  it('encapsulated frames without a Basic Offset Table are split at each codestream start', async () => {
    const { frames } = await decodeDicom(fixture('dicomParser/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm'), { window: 'file', frames: 'all' });
    expect(frames).toHaveLength(8);
    expect(Array.from(frames[0]!.data)).not.toEqual(Array.from(frames[7]!.data));
  });

  it('encapsulated uncompressed (1.2.840.10008.1.2.1.98): one native frame per fragment', async () => {
    const frames = [words16([1, 2, 3, 4]), words16([5, 6, 7, 8])];
    const bytes = part10([...imageElements({ rows: 2, columns: 2, frames: 2 }), encapsulated(frames)], '1.2.840.10008.1.2.1.98');
    expect(Array.from((await decodeFrameSamples(bytes, 1)).samples)).toEqual([5, 6, 7, 8]);
    expect((await decodeDicom(bytes, { window: 'minmax', frames: 'all' })).frames).toHaveLength(2);
  });

  it('1-bit segmentation frames unpack least significant bit first', async () => {
    const bytes = part10([...imageElements({ rows: 2, columns: 6, bitsAllocated: 1, frames: 2 }), raw(0x7fe00010, 'OB', new Uint8Array([0b10000101, 0b01000000, 0b00001111, 0]))]);
    expect(Array.from((await decodeFrameSamples(bytes, 0)).samples)).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from((await decodeFrameSamples(bytes, 1)).samples)).toEqual([0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
  });
});

describe('limits, checked against the header before any pixel buffer exists', () => {
  const huge = part10([...imageElements({ rows: 65535, columns: 65535, frames: 1000 }), raw(0x7fe00010, 'OW', new Uint8Array(16))]);

  it('refuses 65535 x 65535 x 1000 frames', async () => {
    const pixels = { code: 'IMAGE_TOO_LARGE', message: 'a frame is 65535x65535 = 4294836225 pixels, the limit is 67108864 (maxPixelsPerFrame)' };
    await expect(decodeDicom(huge, { window: 'file', frames: 'all' })).rejects.toMatchObject(pixels);
    await expect(decodeDicom(huge, { window: 'file', frames: 'first' })).rejects.toMatchObject(pixels);
    await expect(decodeFrameSamples(huge)).rejects.toMatchObject(pixels);
    await expect(decodeDicom(huge, { window: 'file', frames: 'all', limits: { maxFrames: 100 } })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE', message: 'the image has 1000 frames to decode, the limit is 100 (maxFrames)',
    });
    // Within the pixel limits, the bytes of 1000 frames are refused before any buffer exists.
    const many = part10([...imageElements({ rows: 4096, columns: 4096, frames: 1000 }), raw(0x7fe00010, 'OW', new Uint8Array(16))]);
    await expect(decodeDicom(many, { window: 'file', frames: 'all', limits: { maxFrames: 1000 } })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE', message: 'decoding 1000 frame(s) of 4096x4096 needs 100663296000 bytes, the limit is 1073741824 (maxDecodedBytes)',
    });
  });

  it('refuses more frames than maxFrames, and more bytes than maxDecodedBytes', async () => {
    const rtdose = fixture('pydicom/rtdose.dcm');
    await expect(decodeDicom(rtdose, { window: 'minmax', frames: 'all', limits: { maxFrames: 10 } })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE', message: 'the image has 15 frames to decode, the limit is 10 (maxFrames)',
    });
    expect((await decodeDicom(rtdose, { window: 'minmax', frames: 'first', limits: { maxFrames: 10 } })).frames).toHaveLength(1);
    await expect(decodeDicom(fixture('pydicom/CT_small.dcm'), { window: 'file', frames: 'first', limits: { maxDecodedBytes: 65536 } })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE', message: 'decoding 1 frame(s) of 128x128 needs 98304 bytes, the limit is 65536 (maxDecodedBytes)',
    });
  });
});

describe('refusals name what is wrong', () => {
  it('an unsupported transfer syntax is named', async () => {
    const mpeg = part10([...imageElements({ rows: 8, columns: 8, bitsAllocated: 8 }), encapsulated([new Uint8Array(8)])], '1.2.840.10008.1.2.4.100');
    await expect(decodeDicom(mpeg, { window: 'file', frames: 'first' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_TRANSFER_SYNTAX', message: 'transfer syntax 1.2.840.10008.1.2.4.100 (MPEG2) is not supported',
    });
    expect(readDicomInfo(mpeg).transferSyntaxUID).toBe('1.2.840.10008.1.2.4.100');
    const unknown = part10([...imageElements({ rows: 8, columns: 8, bitsAllocated: 8 }), raw(0x7fe00010, 'OB', new Uint8Array(64))], '1.2.3.4');
    await expect(decodeDicom(unknown, { window: 'file', frames: 'first' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_TRANSFER_SYNTAX', message: 'transfer syntax 1.2.3.4 (unknown transfer syntax) is not supported',
    });
  });

  it('a codec failure names the transfer syntax and the frame', async () => {
    const source = fixture('pydicom/MR_small_jpeg_ls_lossless.dcm');
    const start = source.findIndex((byte, index) => byte === 0xff && source[index + 1] === 0xd8 && source[index + 2] === 0xff);
    const cut = source.slice(start, start + 60); // header intact, scan data cut short
    const bytes = part10([...imageElements({ rows: 64, columns: 64, signed: true }), encapsulated([cut])], '1.2.840.10008.1.2.4.80');
    const error = await decodeDicom(bytes, { window: 'file', frames: 'first' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ImagingInputError);
    expect(error).toMatchObject({ code: 'INVALID_DICOM' });
    expect((error as Error).message).toMatch(/^frame 1 \(transfer syntax 1\.2\.840\.10008\.1\.2\.4\.80 \(JPEG-LS Lossless\)\) could not be decoded: /);
  });

  it('a codestream larger than the header is refused before the codec runs', async () => {
    const source = fixture('pydicom/MR_small_jpeg_ls_lossless.dcm');
    const start = source.findIndex((byte, index) => byte === 0xff && source[index + 1] === 0xd8 && source[index + 2] === 0xff);
    const bytes = part10([...imageElements({ rows: 32, columns: 32, signed: true }), encapsulated([source.slice(start)])], '1.2.840.10008.1.2.4.80');
    await expect(decodeDicom(bytes, { window: 'file', frames: 'first' })).rejects.toMatchObject({
      code: 'INVALID_DICOM', message: 'frame 1 (transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS Lossless)): the codestream is 64x64, the DICOM header says 32x32',
    });
  });

  it('inconsistent pixel modules', async () => {
    const rgbWithOneSample = part10([...imageElements({ rows: 2, columns: 2, bitsAllocated: 8, photometric: 'RGB' }), raw(0x7fe00010, 'OB', new Uint8Array(4))]);
    await expect(decodeDicom(rgbWithOneSample, { window: 'file', frames: 'first' })).rejects.toMatchObject({
      code: 'INVALID_DICOM', message: 'PhotometricInterpretation RGB needs SamplesPerPixel (0028,0002) 3, the file has 1',
    });
    const storedAboveAllocated = part10([...imageElements({ rows: 2, columns: 2, bitsAllocated: 8, bitsStored: 12 }), raw(0x7fe00010, 'OB', new Uint8Array(4))]);
    await expect(decodeDicom(storedAboveAllocated, { window: 'file', frames: 'first' })).rejects.toMatchObject({
      code: 'INVALID_DICOM', message: 'BitsStored (0028,0101) is 12, expected 1 to BitsAllocated (8)',
    });
    const packed12 = part10([...imageElements({ rows: 2, columns: 2, bitsAllocated: 12 }), raw(0x7fe00010, 'OB', new Uint8Array(6))]);
    await expect(decodeDicom(packed12, { window: 'file', frames: 'first' })).rejects.toMatchObject({
      code: 'INVALID_IMAGE', message: 'BitsAllocated (0028,0100) 12 is not supported (1, 8, 16 and 32 are)',
    });
    // Own entries only: 'toString' found Object.prototype's member and read as an INVALID_DICOM sample-count mismatch.
    const prototypeName = part10([...imageElements({ rows: 2, columns: 2, bitsAllocated: 8, photometric: 'toString' }), raw(0x7fe00010, 'OB', new Uint8Array(4))]);
    await expect(decodeDicom(prototypeName, { window: 'file', frames: 'first' })).rejects.toMatchObject({
      code: 'INVALID_IMAGE', message: expect.stringMatching(/^PhotometricInterpretation \(0028,0004\) 'toString' is not supported/),
    });
  });
});
