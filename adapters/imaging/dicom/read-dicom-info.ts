import type { DicomInstanceInfo } from '../dicom-info.js';
import { instanceInfo } from './instance-info.js';
import { DEFAULT_LIMITS } from './limits.js';
import { readPart10 } from './part10.js';

export interface ReadDicomInfoOptions {
  /** Cap on the inflated size of a deflated data set; defaults to DEFAULT_LIMITS.maxDecodedBytes. */
  readonly maxInflatedBytes?: number;
}

/**
 * Reads the instance description of a DICOM Part 10 file without decoding pixels. Throws
 * ImagingInputError (INVALID_DICOM, or IMAGE_TOO_LARGE for a data set past the caps) naming what is wrong.
 */
export function readDicomInfo(bytes: Uint8Array, options: ReadDicomInfoOptions = {}): DicomInstanceInfo {
  const file = readPart10(bytes, { maxInflatedBytes: options.maxInflatedBytes ?? DEFAULT_LIMITS.maxDecodedBytes });
  return instanceInfo(file);
}
