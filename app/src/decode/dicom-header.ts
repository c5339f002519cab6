import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';
import { characterSetOf } from '../../../adapters/imaging/dicom/charset.js';
import { DEFAULT_LIMITS } from '../../../adapters/imaging/dicom/limits.js';
import { instanceInfo } from '../../../adapters/imaging/dicom/instance-info.js';
import { readPart10 } from '../../../adapters/imaging/dicom/part10.js';
import { readDecimalStrings, readString, readText } from '../../../adapters/imaging/dicom/values.js';

/** What the page's header panel shows: the instance description plus institution and the file's VOI windows. */
export interface DicomHeader {
  readonly info: DicomInstanceInfo;
  readonly institution: string | undefined;
  /** Window Center / Width pairs the file declares (presets), in order. */
  readonly windows: readonly { readonly center: number; readonly width: number }[];
}

/** Reads the header with the server's own Part 10 reader and character sets (adapters/imaging/dicom); nothing is sent. */
export function readDicomHeader(bytes: Uint8Array): DicomHeader {
  const file = readPart10(bytes, { maxInflatedBytes: DEFAULT_LIMITS.maxDecodedBytes });
  const info = instanceInfo(file);
  const dataSet = file.dataSet;
  const charset = characterSetOf(readString(dataSet, 0x00080005));
  const centers = readDecimalStrings(dataSet, 0x00281050) ?? [];
  const widths = readDecimalStrings(dataSet, 0x00281051) ?? [];
  const windows = centers.flatMap((center, i) => (widths[i] !== undefined && widths[i]! > 0 ? [{ center, width: widths[i]! }] : []));
  return { info, institution: readText(dataSet, 0x00080080, charset), windows };
}
