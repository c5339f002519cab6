import sharp, { type Metadata, type Sharp } from 'sharp';
import { ImagingInputError, rasterImage, type RasterImage } from '../../adapters/imaging/raster.js';
import type { ImageFormat } from './sniff-format.js';

/**
 * PNG, JPEG, TIFF and WebP to the shared raster form, through sharp (libvips). Samples as stored: no
 * colour-profile conversion, no EXIF rotation, alpha dropped, 16-bit samples scaled to 0..255 (v / 257),
 * so the browser (which decodes PNG in pure JS the same way) gets the same numbers.
 * The pixel limit is checked by sharp from the header, before the pixels are decoded.
 */
export async function decodeImage(bytes: Uint8Array, format: Exclude<ImageFormat, 'dicom'>, maxPixels: number): Promise<RasterImage> {
  let image: Sharp;
  let meta: Metadata;
  try {
    image = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 });
    meta = await image.metadata();
  } catch (error) {
    throw explain(error, format, maxPixels);
  }
  if (meta.format !== formatName(format)) throw new ImagingInputError('INVALID_IMAGE', `the body is not a readable ${format.toUpperCase()} image (sharp reads it as ${meta.format ?? 'nothing'})`);
  const sixteen = meta.depth === 'ushort';
  const gray = meta.channels === 1 || (meta.channels === 2 && meta.hasAlpha);
  try {
    let pipeline = image.removeAlpha();
    // sharp widens gray to sRGB on raw output unless told to keep one band.
    if (gray) pipeline = pipeline.toColourspace(sixteen ? 'grey16' : 'b-w');
    if (meta.space === 'cmyk') pipeline = pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw(sixteen ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
    const channels = gray ? 1 : 3;
    if (info.channels !== channels) throw new ImagingInputError('INVALID_IMAGE', `${format.toUpperCase()} image decodes to ${info.channels} channels; 1 (gray) or 3 (RGB) expected`);
    const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : data;
    const out = new Float32Array(samples.length);
    const factor = sixteen ? 1 / 257 : 1;
    for (let i = 0; i < samples.length; i++) out[i] = samples[i]! * factor;
    return rasterImage(info.width, info.height, channels, out);
  } catch (error) {
    if (error instanceof ImagingInputError) throw error;
    throw explain(error, format, maxPixels);
  }
}

function formatName(format: Exclude<ImageFormat, 'dicom'>): string {
  return format === 'tiff' ? 'tiff' : format;
}

function explain(error: unknown, format: string, maxPixels: number): ImagingInputError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ImagingInputError('IMAGE_TOO_LARGE', `the ${format.toUpperCase()} image has more than ${maxPixels} pixels (the server's maxImagePixels)`);
  return new ImagingInputError('INVALID_IMAGE', `the body is not a readable ${format.toUpperCase()} image: ${message.split('\n')[0]!.slice(0, 160)}`);
}
