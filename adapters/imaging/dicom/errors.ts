import { ImagingInputError } from '../raster.js';

/**
 * One factory per ImagingInputError code, so call sites read as what went wrong. Messages name the file
 * field (keyword and tag) and what was expected; they never quote patient data.
 */
export function invalidDicom(message: string): ImagingInputError {
  return new ImagingInputError('INVALID_DICOM', message);
}

export function unsupportedTransferSyntax(message: string): ImagingInputError {
  return new ImagingInputError('UNSUPPORTED_TRANSFER_SYNTAX', message);
}

export function noPixelData(message: string): ImagingInputError {
  return new ImagingInputError('NO_PIXEL_DATA', message);
}

export function invalidImage(message: string): ImagingInputError {
  return new ImagingInputError('INVALID_IMAGE', message);
}

export function imageTooLarge(message: string): ImagingInputError {
  return new ImagingInputError('IMAGE_TOO_LARGE', message);
}

/** Text of something thrown by third-party code (codecs throw strings, numbers and Errors), cut short. */
export function describeThrown(thrown: unknown): string {
  const text = thrown instanceof Error ? thrown.message : typeof thrown === 'string' ? thrown : String(thrown);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
