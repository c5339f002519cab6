/**
 * Transfer syntaxes (PS3.6 Table A-1): which decoder handles each, chosen through one lookup table, and
 * a name for every other one so that a refusal says what the file is.
 */

export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  RLELossless: '1.2.840.10008.1.2.5',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGSpectralSelection: '1.2.840.10008.1.2.4.53',
  JPEGFullProgression: '1.2.840.10008.1.2.4.55',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
} as const;

/** How the frames of a transfer syntax are turned into samples. */
export type FrameCodec =
  | 'native' // uncompressed, in the data set's byte order
  | 'encapsulated-native' // uncompressed, one fragment per frame (1.2.840.10008.1.2.1.98)
  | 'rle' // PS3.5 Annex G
  | 'jpeg-dct' // ISO 10918-1 DCT: baseline, extended, spectral selection, progressive
  | 'jpeg-lossless' // ISO 10918-1 process 14
  | 'jpeg-ls' // ISO 14495-1
  | 'jpeg-2000' // ISO 15444-1
  | 'htj2k'; // ISO 15444-15

export interface TransferSyntaxEntry {
  readonly name: string;
  /** Absent: the header can be read, the pixels cannot be decoded. */
  readonly codec?: FrameCodec;
  /** Whether the pixel data is encapsulated (fragments) rather than native. */
  readonly encapsulated: boolean;
  /** Whether decoding may differ from the original samples. */
  readonly lossy: boolean;
}

const T = TransferSyntax;
const table = new Map<string, TransferSyntaxEntry>([
  [T.ImplicitVRLittleEndian, { name: 'Implicit VR Little Endian', codec: 'native', encapsulated: false, lossy: false }],
  [T.ExplicitVRLittleEndian, { name: 'Explicit VR Little Endian', codec: 'native', encapsulated: false, lossy: false }],
  [T.EncapsulatedUncompressedExplicitVRLittleEndian, { name: 'Encapsulated Uncompressed Explicit VR Little Endian', codec: 'encapsulated-native', encapsulated: true, lossy: false }],
  [T.DeflatedExplicitVRLittleEndian, { name: 'Deflated Explicit VR Little Endian', codec: 'native', encapsulated: false, lossy: false }],
  [T.ExplicitVRBigEndian, { name: 'Explicit VR Big Endian', codec: 'native', encapsulated: false, lossy: false }],
  [T.RLELossless, { name: 'RLE Lossless', codec: 'rle', encapsulated: true, lossy: false }],
  [T.JPEGBaseline8Bit, { name: 'JPEG Baseline (Process 1)', codec: 'jpeg-dct', encapsulated: true, lossy: true }],
  [T.JPEGExtended12Bit, { name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg-dct', encapsulated: true, lossy: true }],
  [T.JPEGSpectralSelection, { name: 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)', codec: 'jpeg-dct', encapsulated: true, lossy: true }],
  [T.JPEGFullProgression, { name: 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)', codec: 'jpeg-dct', encapsulated: true, lossy: true }],
  [T.JPEGLossless, { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', codec: 'jpeg-lossless', encapsulated: true, lossy: false }],
  [T.JPEGLosslessSV1, { name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', codec: 'jpeg-lossless', encapsulated: true, lossy: false }],
  [T.JPEGLSLossless, { name: 'JPEG-LS Lossless', codec: 'jpeg-ls', encapsulated: true, lossy: false }],
  [T.JPEGLSNearLossless, { name: 'JPEG-LS Lossy (Near-Lossless)', codec: 'jpeg-ls', encapsulated: true, lossy: true }],
  [T.JPEG2000Lossless, { name: 'JPEG 2000 (Lossless Only)', codec: 'jpeg-2000', encapsulated: true, lossy: false }],
  [T.JPEG2000, { name: 'JPEG 2000', codec: 'jpeg-2000', encapsulated: true, lossy: true }],
  [T.HTJ2KLossless, { name: 'High-Throughput JPEG 2000 (Lossless Only)', codec: 'htj2k', encapsulated: true, lossy: false }],
  [T.HTJ2KLosslessRPCL, { name: 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', codec: 'htj2k', encapsulated: true, lossy: false }],
  [T.HTJ2K, { name: 'High-Throughput JPEG 2000', codec: 'htj2k', encapsulated: true, lossy: true }],
  // Known, not decoded here.
  ['1.2.840.10008.1.2.4.52', { name: 'JPEG Extended (Process 3 & 5), retired', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.54', { name: 'JPEG Spectral Selection (Process 7 & 9), retired', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.56', { name: 'JPEG Full Progression (Process 11 & 13), retired', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.58', { name: 'JPEG Lossless (Process 15), retired', encapsulated: true, lossy: false }],
  ['1.2.840.10008.1.2.4.92', { name: 'JPEG 2000 Part 2 Multi-component (Lossless Only)', encapsulated: true, lossy: false }],
  ['1.2.840.10008.1.2.4.93', { name: 'JPEG 2000 Part 2 Multi-component', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.94', { name: 'JPIP Referenced', encapsulated: false, lossy: true }],
  ['1.2.840.10008.1.2.4.95', { name: 'JPIP Referenced Deflate', encapsulated: false, lossy: true }],
  ['1.2.840.10008.1.2.4.100', { name: 'MPEG2', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.101', { name: 'MPEG2 Main Profile / High Level', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.102', { name: 'MPEG-4 AVC/H.264', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.103', { name: 'MPEG-4 AVC/H.264 BD-compatible', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.104', { name: 'MPEG-4 AVC/H.264 for 2D Video', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.105', { name: 'MPEG-4 AVC/H.264 for 3D Video', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.106', { name: 'MPEG-4 AVC/H.264 Stereo', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.107', { name: 'HEVC/H.265 Main Profile', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.108', { name: 'HEVC/H.265 Main 10 Profile', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.110', { name: 'JPEG XL Lossless', encapsulated: true, lossy: false }],
  ['1.2.840.10008.1.2.4.111', { name: 'JPEG XL JPEG Recompression', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.4.112', { name: 'JPEG XL', encapsulated: true, lossy: true }],
  ['1.2.840.10008.1.2.6.1', { name: 'RFC 2557 MIME encapsulation, retired', encapsulated: false, lossy: false }],
  ['1.2.840.10008.1.2.6.2', { name: 'XML Encoding, retired', encapsulated: false, lossy: false }],
]);

/** The table entry; an unknown UID gets a name saying so and no codec. */
export function transferSyntaxEntry(uid: string): TransferSyntaxEntry {
  return table.get(uid) ?? { name: 'unknown transfer syntax', encapsulated: false, lossy: false };
}

/** "1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))" */
export function describeTransferSyntax(uid: string): string {
  return `${uid} (${transferSyntaxEntry(uid).name})`;
}
