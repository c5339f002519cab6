import { dimse } from './dimse-library.js';
import type { Part10View } from './part10.js';
import { TransferSyntaxUid } from './uids.js';

const { Dataset } = dimse;

/**
 * A dcmjs-dimse Dataset that sends the data set bytes of a Part 10 file as they are. dcmjs-dimse asks a
 * Dataset for its SOP UIDs (getElement), its transfer syntax and its encoded bytes (getDenaturalizedDataset);
 * we answer from the file meta and the original bytes, so a compressed instance goes out untouched.
 *
 * Only when the peer accepted its SOP class in another transfer syntax does dcmjs-dimse transcode, through
 * getElements(); then (uncompressed syntaxes only, since we do not load its codecs) the bytes are parsed.
 */
export class RawDataset extends Dataset {
  readonly #bytes: Buffer;
  #parsed: Record<string, unknown> | undefined;

  constructor(view: Part10View, file: Uint8Array) {
    super({ SOPClassUID: view.sopClassUid, SOPInstanceUID: view.sopInstanceUid }, view.transferSyntaxUid);
    const dataset = Buffer.from(file.buffer, file.byteOffset + view.datasetOffset, file.byteLength - view.datasetOffset);
    // PDVs must have even length (DCMTK, so Orthanc, refuses "Odd Fragment Length"). A deflated data set may
    // end odd; PS3.5 A.5 pads it with one trailing NUL, which the inflater ignores. Other syntaxes are even.
    const padDeflate = view.transferSyntaxUid === TransferSyntaxUid.DeflatedExplicitVRLittleEndian && dataset.length % 2 === 1;
    this.#bytes = padDeflate ? Buffer.concat([dataset, Buffer.alloc(1)]) : dataset;
  }

  override getDenaturalizedDataset(): Buffer {
    return this.#bytes;
  }

  override getElements(): Record<string, unknown> {
    this.#parsed ??= new Dataset(this.#bytes, this.getTransferSyntaxUid()).getElements();
    return this.#parsed;
  }
}
