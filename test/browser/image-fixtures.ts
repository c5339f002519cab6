import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { FIXTURES } from '../helpers/server.js';

/** A smooth, structured test picture (no photograph of anyone): value in 0..255 at (x, y). */
function pattern(x: number, y: number, width: number, height: number, phase = 0): number {
  const u = x / width;
  const v = y / height;
  return Math.round(127.5 + 90 * Math.sin(6 * u + phase) * Math.cos(5 * v) + 35 * (u - v));
}

function gray(width: number, height: number, phase = 0): Buffer {
  const out = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = pattern(x, y, width, height, phase);
  return out;
}

function rgb(width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = pattern(x, y, width, height, c * 1.3);
    }
  }
  return out;
}

export interface ImageFixture {
  readonly name: string;
  readonly mediaType: 'image/png' | 'image/jpeg' | 'application/dicom';
  readonly bytes: Buffer;
}

/**
 * Images made here rather than committed: gray 28x28 (the model's own size), gray 64x64 (area
 * downsampling), 16-bit gray, gray with alpha, RGB and palette PNGs, and gray and 4:2:0 colour JPEGs.
 */
export async function imageFixtures(): Promise<ImageFixture[]> {
  // sharp writes a 1-channel raw image as RGB unless told the colour space is b-w.
  const png = (b: Buffer, width: number, height: number, channels: 1 | 3) => {
    const image = sharp(b, { raw: { width, height, channels } });
    return (channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
  };
  const sixteen = new Uint16Array(28 * 28);
  for (let i = 0; i < sixteen.length; i++) sixteen[i] = pattern(i % 28, Math.floor(i / 28), 28, 28) * 257 + (i % 251);
  const grayAlpha = new Uint8Array(28 * 28 * 2);
  gray(28, 28, 0.7).forEach((v, i) => { grayAlpha[2 * i] = v; grayAlpha[2 * i + 1] = (i * 37) % 256; });
  return [
    { name: 'gray-28.png', mediaType: 'image/png', bytes: await png(gray(28, 28), 28, 28, 1) },
    { name: 'gray-64.png', mediaType: 'image/png', bytes: await png(gray(64, 64, 0.4), 64, 64, 1) },
    { name: 'gray16-28.png', mediaType: 'image/png', bytes: Buffer.from(encode({ width: 28, height: 28, data: sixteen, depth: 16, channels: 1 })) },
    { name: 'gray-alpha-28.png', mediaType: 'image/png', bytes: Buffer.from(encode({ width: 28, height: 28, data: grayAlpha, depth: 8, channels: 2 })) },
    { name: 'rgb-40x30.png', mediaType: 'image/png', bytes: await png(rgb(40, 30), 40, 30, 3) },
    { name: 'palette-40x30.png', mediaType: 'image/png', bytes: await sharp(rgb(40, 30), { raw: { width: 40, height: 30, channels: 3 } }).png({ palette: true, colours: 64, dither: 0 }).toBuffer() },
    { name: 'gray-64.jpg', mediaType: 'image/jpeg', bytes: await sharp(gray(64, 64, 1.1), { raw: { width: 64, height: 64, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer() },
    { name: 'rgb-48.jpg', mediaType: 'image/jpeg', bytes: await sharp(rgb(48, 48), { raw: { width: 48, height: 48, channels: 3 } }).jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toBuffer() },
  ];
}

/** Feature records for the heart-disease demo: complete, partial (imputed), with units, with category names. */
export const HEART_RECORDS: Record<string, unknown>[] = [
  { age: 63, sex: 1, cp: 1, trestbps: 145, chol: 233, fbs: 1, restecg: 2, thalach: 150, exang: 0, oldpeak: 2.3, slope: 3, ca: 0, thal: 6 },
  { age: 54, sex: 'female', cp: 'asymptomatic', chol: { value: 6.2, unit: 'mmol/L' }, thalach: 120, exang: true },
  { age: 41, trestbps: { value: 17.3, unit: 'kPa' }, oldpeak: 0 },
];

/**
 * DICOM files from the decoder's corpus (test/fixtures/dicom/pydicom, public test data): native, RLE,
 * JPEG baseline, JPEG-LS, JPEG 2000, deflated, palette colour, multi-frame.
 */
export const DICOM_FILES = [
  'CT_small.dcm', 'MR_small_RLE.dcm', 'SC_rgb_jpeg_dcmtk.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm',
  'image_dfl.dcm', 'examples_palette.dcm', 'SC_rgb_rle_2frame.dcm',
];

export function dicomFixtures(): ImageFixture[] {
  return DICOM_FILES.map((name) => ({ name, mediaType: 'application/dicom', bytes: readFileSync(join(FIXTURES, 'dicom/pydicom', name)) }));
}

export const readDicomFixture = (name: string): Buffer => readFileSync(join(FIXTURES, 'dicom/pydicom', name));
