import type { DicomInstanceInfo } from '../dicom-info.js';
import { headerLayout, type HeaderLayout } from './header-layout.js';
import { instanceInfo } from './instance-info.js';
import { DEFAULT_LIMITS } from './limits.js';
import { readPart10 } from './part10.js';

export interface ReadDicomInfoOptions {
  /** Cap on the inflated size of a deflated data set; defaults to DEFAULT_LIMITS.maxDecodedBytes. */
  readonly maxInflatedBytes?: number;
}

/**
 * A file's header, read once: its description, and where its elements lie in its bytes. Handed to
 * decodeDicom with the same bytes, it spares the decoder a second parse (undefined layout: a deflated
 * data set, parsed again there).
 */
export interface DicomHeader {
  readonly info: DicomInstanceInfo;
  readonly layout: HeaderLayout | undefined;
}

/**
 * Reads the instance description of a DICOM Part 10 file without decoding pixels. Throws
 * ImagingInputError (INVALID_DICOM, or IMAGE_TOO_LARGE for a data set past the caps) naming what is wrong.
 */
export function readDicomInfo(bytes: Uint8Array, options: ReadDicomInfoOptions = {}): DicomInstanceInfo {
  return readDicomHeader(bytes, options).info;
}

/** readDicomInfo, keeping the layout of the parsed elements for the decode that follows. Throws as readDicomInfo does. */
export function readDicomHeader(bytes: Uint8Array, options: ReadDicomInfoOptions = {}): DicomHeader {
  const file = readPart10(bytes, { maxInflatedBytes: options.maxInflatedBytes ?? DEFAULT_LIMITS.maxDecodedBytes });
  return { info: instanceInfo(file), layout: headerLayout(file, bytes) };
}
