import type { DataSet } from './data-set.js';
import { looksLikeExplicitVR, parseDataSet, type Encoding } from './data-set-parser.js';
import { invalidDicom } from './errors.js';
import { inflateBounded } from './inflate.js';
import { FILE_META_OFFSET, hasDicmPrefix } from './part10-framing.js';
import { Tag } from './tags.js';
import { TransferSyntax } from './transfer-syntaxes.js';
import { readString, shown } from './values.js';

/** A DICOM Part 10 file, parsed: its transfer syntax, the file meta group and the data set. */
export interface Part10File {
  readonly transferSyntaxUID: string;
  readonly meta: DataSet;
  /** The main data set; for a deflated file it points into the inflated buffer. */
  readonly dataSet: DataSet;
}

export interface Part10Options {
  /** Cap on the inflated size of a deflated data set. */
  readonly maxInflatedBytes: number;
}

/**
 * Reads the preamble, the "DICM" prefix and the file meta information (always explicit VR little endian,
 * PS3.10 7.1), then the data set in the encoding its transfer syntax names. A data set whose first element
 * contradicts the transfer syntax (implicit VR written under an explicit one, a known writer defect) is read
 * in the encoding it actually has, as pydicom and DCMTK do.
 */
export function readPart10(bytes: Uint8Array, options: Part10Options): Part10File {
  if (bytes.length < FILE_META_OFFSET) throw invalidDicom(`the input is ${bytes.length} bytes, too short for a DICOM file (128-byte preamble and 'DICM' prefix)`);
  if (!hasDicmPrefix(bytes)) {
    throw invalidDicom("no 'DICM' prefix at byte 128: not a DICOM Part 10 file (a data set without preamble and file meta information is not accepted)");
  }
  const { dataSet: meta, end: metaEnd } = parseDataSet(bytes, { littleEndian: true, explicitVR: true }, { start: FILE_META_OFFSET, end: bytes.length, onlyGroup: 0x0002 });
  if (meta.elements.size === 0) throw invalidDicom("no file meta information (group 0002) after the 'DICM' prefix");
  const transferSyntaxUID = readString(meta, Tag.TransferSyntaxUID);
  if (transferSyntaxUID === undefined) throw invalidDicom('the file meta information has no TransferSyntaxUID (0002,0010)');
  if (!/^[0-9.]{1,64}$/.test(transferSyntaxUID)) throw invalidDicom(`TransferSyntaxUID (0002,0010) is '${shown(transferSyntaxUID)}', not a UID`);
  const dataSet = readMainDataSet(bytes, metaEnd, transferSyntaxUID, options);
  return { transferSyntaxUID, meta, dataSet };
}

function readMainDataSet(bytes: Uint8Array, start: number, transferSyntaxUID: string, options: Part10Options): DataSet {
  let buffer = bytes;
  let offset = start;
  if (transferSyntaxUID === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    buffer = inflateBounded(bytes.subarray(start), options.maxInflatedBytes);
    offset = 0;
  }
  const declared: Encoding = {
    littleEndian: transferSyntaxUID !== TransferSyntax.ExplicitVRBigEndian,
    explicitVR: transferSyntaxUID !== TransferSyntax.ImplicitVRLittleEndian,
  };
  const encoding = actualEncoding(buffer, offset, declared);
  return parseDataSet(buffer, encoding, { start: offset, end: buffer.length }).dataSet;
}

/** The encoding the first element shows: its bytes 4-5 spell a VR in explicit VR, and are length bytes in implicit VR. */
function actualEncoding(buffer: Uint8Array, offset: number, declared: Encoding): Encoding {
  if (offset + 8 > buffer.length) return declared;
  const explicitLooking = looksLikeExplicitVR(buffer, offset + 4);
  if (declared.explicitVR && !explicitLooking) return { ...declared, explicitVR: false };
  if (!declared.explicitVR && explicitLooking) return { ...declared, explicitVR: true };
  return declared;
}
