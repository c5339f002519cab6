import { CodedError } from '../coded-error.js';

/**
 * The one image form every imaging step agrees on, on the server and in the browser:
 * row-major pixels, channels interleaved (RGB RGB ...), as 32-bit floats on the display scale 0..255
 * (DICOM frames after the modality LUT, VOI LUT and MONOCHROME1 inversion; PNG/JPEG as decoded, 16-bit
 * samples scaled to 0..255).
 */
export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** 1 (grayscale) or 3 (RGB). */
  readonly channels: 1 | 3;
  readonly data: Float32Array;
}

/** A decoding or preprocessing failure caused by the input: the message names the file field and what was expected. */
export class ImagingInputError extends CodedError<ImagingInputCode> {
  constructor(code: ImagingInputCode, message: string) {
    super(code, message);
    this.name = 'ImagingInputError';
  }
}

export type ImagingInputCode = 'INVALID_DICOM' | 'UNSUPPORTED_TRANSFER_SYNTAX' | 'UNSUPPORTED_CHARACTER_SET' | 'NO_PIXEL_DATA' | 'INVALID_IMAGE' | 'IMAGE_TOO_LARGE';

export function rasterImage(width: number, height: number, channels: 1 | 3, data?: Float32Array): RasterImage {
  const length = width * height * channels;
  if (data && data.length !== length) throw new RangeError(`raster ${width}x${height}x${channels} needs ${length} values, got ${data.length}`);
  return { width, height, channels, data: data ?? new Float32Array(length) };
}
