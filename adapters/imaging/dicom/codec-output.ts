/** What every codec wrapper returns: a copy of the decoded samples, components interleaved. */
export interface DecodedFrame {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** Sample precision of the codestream. */
  readonly bitsPerSample: number;
  /** One element per sample: 8-bit arrays up to 8 bits per sample, 16-bit arrays above. */
  readonly data: Uint8Array | Uint16Array;
  /** For three components: whether the codec turned YCbCr (or RCT/ICT) into RGB. */
  readonly colorTransformed: boolean;
}
