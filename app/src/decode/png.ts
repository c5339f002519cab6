import { decode, type DecodedPng } from 'fast-png';
import { ImagingInputError, rasterImage, type RasterImage } from '../../../adapters/imaging/raster.js';
import { MAX_IMAGE_PIXELS } from './sniff.js';

/**
 * PNG to the shared raster form, in pure JavaScript (fast-png), exactly as the server's sharp decode:
 * samples as stored, no colour management, alpha dropped, palette expanded to RGB, 1/2/4-bit gray
 * scaled to 0..255, 16-bit samples scaled by 1/257. Same bytes in, same floats out.
 */
export function decodePng(bytes: Uint8Array): RasterImage {
  const pixels = headerPixels(bytes);
  if (pixels > MAX_IMAGE_PIXELS) throw new ImagingInputError('IMAGE_TOO_LARGE', `the PNG image has ${pixels} pixels; the web app reads at most ${MAX_IMAGE_PIXELS}`);
  let png: DecodedPng;
  try {
    png = decode(bytes);
  } catch (error) {
    throw new ImagingInputError('INVALID_IMAGE', `the file is not a readable PNG image: ${(error as Error).message.slice(0, 160)}`);
  }
  const { width, height, depth } = png;
  const stored = png.palette ? 1 : png.channels;
  const samples = depth < 8 ? unpack(png.data, width, height, stored, depth) : png.data;
  if (samples.length < width * height * stored) throw new ImagingInputError('INVALID_IMAGE', `the PNG image data is incomplete (${samples.length} of ${width * height * stored} samples)`);
  if (png.palette) return fromPalette(samples, width, height, png.palette);
  const channels: 1 | 3 = stored <= 2 ? 1 : 3;
  const factor = depth === 16 ? 1 / 257 : depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  const out = new Float32Array(width * height * channels);
  for (let p = 0, q = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) out[q++] = samples[p * stored + c]! * factor;
  }
  return rasterImage(width, height, channels, out);
}

/** Width x height from the IHDR chunk (bytes 16..23), before anything is inflated. */
function headerPixels(bytes: Uint8Array): number {
  if (bytes.length < 24) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(16) * view.getUint32(20);
}

/** Sub-byte samples (1, 2 or 4 bits, rows padded to a byte) to one number per sample. */
function unpack(data: ArrayLike<number>, width: number, height: number, channels: number, depth: number): Uint8Array {
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = data[y * rowBytes + (bit >> 3)] ?? 0;
      out[y * perRow + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function fromPalette(indices: ArrayLike<number>, width: number, height: number, palette: readonly (readonly number[])[]): RasterImage {
  const out = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const entry = palette[indices[p]!];
    if (!entry) throw new ImagingInputError('INVALID_IMAGE', `the PNG image uses palette entry ${indices[p]} of ${palette.length}`);
    out[3 * p] = entry[0]!;
    out[3 * p + 1] = entry[1]!;
    out[3 * p + 2] = entry[2]!;
  }
  return rasterImage(width, height, 3, out);
}
