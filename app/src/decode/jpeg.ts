import { decodeWithWasm } from '../../../adapters/imaging/dicom/index.js';
import { ImagingInputError, rasterImage, type RasterImage } from '../../../adapters/imaging/raster.js';
import { MAX_IMAGE_PIXELS } from './sniff.js';

/**
 * JPEG to the shared raster form with libjpeg-turbo compiled to WASM (the codec module the DICOM
 * decoder uses for JPEG baseline): the library the server's sharp uses, with its defaults (accurate
 * integer IDCT, fancy upsampling, YCbCr to RGB), and like the server no colour profile and no EXIF
 * rotation. The browser's own decoder is not used: it applies EXIF orientation and colour management
 * paths of its own, so its numbers could differ from the server's.
 */
export async function decodeJpeg(bytes: Uint8Array): Promise<RasterImage> {
  const size = frameSize(bytes);
  if (size && size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new ImagingInputError('IMAGE_TOO_LARGE', `the JPEG image has ${size.width * size.height} pixels; the web app reads at most ${MAX_IMAGE_PIXELS}`);
  }
  let decoded;
  try {
    decoded = await decodeWithWasm('libjpeg-turbo', 'JPEGDecoder', bytes, () => undefined);
  } catch (error) {
    throw new ImagingInputError('INVALID_IMAGE', `the file is not a readable JPEG image: ${(error as Error).message.slice(0, 160)}`);
  }
  const { width, height, components, bytes: samples } = decoded;
  if (components !== 1 && components !== 3) throw new ImagingInputError('INVALID_IMAGE', `the JPEG image has ${components} components; 1 (gray) or 3 (colour) are read`);
  if (width === 0 || height === 0 || samples.length < width * height * components) throw new ImagingInputError('INVALID_IMAGE', 'the JPEG image holds no complete picture');
  return rasterImage(width, height, components, Float32Array.from(samples.subarray(0, width * height * components)));
}

/** Width and height from the first start-of-frame marker, read before decoding. */
function frameSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: (bytes[at + 5]! << 8) | bytes[at + 6]!, width: (bytes[at + 7]! << 8) | bytes[at + 8]! };
    at += 2 + length;
  }
  return undefined;
}
