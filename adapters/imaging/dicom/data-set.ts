/**
 * A parsed DICOM data set: where each element's value lies in the byte buffer, nothing decoded yet.
 * Values are read on demand (values.ts) so that a header read never touches pixel data.
 */

/** The value of a 32-bit length field that means "undefined length, delimited". */
export const UNDEFINED_LENGTH = 0xffffffff;

/** One item of encapsulated pixel data (a fragment), as a byte range of the buffer. */
export interface Fragment {
  readonly offset: number;
  readonly length: number;
}

export interface DicomElement {
  readonly tag: number;
  /** The explicit VR, or for implicit VR 'SQ', 'OW' (pixel data) or '' (unknown, read by tag). */
  readonly vr: string;
  /** Where the value starts in the buffer. */
  readonly offset: number;
  /** Bytes of the value present in the buffer; less than declared only for a truncated top-level PixelData. */
  readonly length: number;
  /** The length field as written (UNDEFINED_LENGTH for delimited values). */
  readonly declaredLength: number;
  /** Sequence items (VR SQ, or UN holding a sequence). */
  readonly items?: readonly DataSet[];
  /** Encapsulated pixel data: the Basic Offset Table item, then the fragments in order. */
  readonly encapsulated?: { readonly basicOffsetTable: Fragment; readonly fragments: readonly Fragment[] };
}

export interface DataSet {
  /** The buffer every offset points into: the file, or the inflated data set of a deflated file. */
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  /** First occurrence of each tag, in file order. */
  readonly elements: ReadonlyMap<number, DicomElement>;
}
