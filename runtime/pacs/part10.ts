import { framePart10, hasDicmPrefix, Part10FramingError, scanFileMeta } from '../../adapters/imaging/dicom/part10-framing.js';
import { PacsError } from './pacs-error.js';

/**
 * DICOM Part 10 files as the PACS side sees them: the three UIDs of the file meta and where the data set
 * starts. The framing itself (preamble, "DICM", file meta group) is adapters/imaging/dicom/part10-framing.ts;
 * here it is given the PACS error codes.
 */
export interface Part10Meta {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
}

export interface Part10View extends Part10Meta {
  /** Where the data set starts in the file's bytes. */
  readonly datasetOffset: number;
}

export function readPart10(bytes: Uint8Array): Part10View {
  if (!hasDicmPrefix(bytes)) throw new PacsError('PACS_INVALID_PART10', 'no DICM prefix after the 128-byte preamble');
  let scanned: ReturnType<typeof scanFileMeta>;
  try {
    scanned = scanFileMeta(bytes);
  } catch (error) {
    if (error instanceof Part10FramingError) throw new PacsError('PACS_INVALID_PART10', error.message);
    throw error;
  }
  const sopClassUid = scanned.uids.get(0x0002);
  const sopInstanceUid = scanned.uids.get(0x0003);
  const transferSyntaxUid = scanned.uids.get(0x0010);
  if (!sopClassUid || !sopInstanceUid || !transferSyntaxUid) {
    throw new PacsError('PACS_INVALID_PART10', 'the file meta lacks (0002,0002), (0002,0003) or (0002,0010)');
  }
  return { sopClassUid, sopInstanceUid, transferSyntaxUid, datasetOffset: scanned.datasetOffset };
}

/** The data set of a Part 10 file, as a view (no copy). */
export function part10Dataset(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(readPart10(bytes).datasetOffset);
}

/**
 * Frames a data set, given as chunks in the order received, as a Part 10 file. One allocation: the chunks
 * are copied straight into the result.
 */
export function writePart10(meta: Part10Meta & { readonly sourceAeTitle?: string }, dataset: readonly Uint8Array[]): Uint8Array {
  return framePart10(meta, dataset);
}
