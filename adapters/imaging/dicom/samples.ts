/** Stored sample values, as typed arrays of the width BitsAllocated gives. */
export type SampleArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** The colour space the samples of a frame are in once decoded (a JPEG codec may already have turned YBR into RGB). */
export type SampleColorSpace = 'MONOCHROME1' | 'MONOCHROME2' | 'PALETTE COLOR' | 'RGB' | 'YBR_FULL';

/**
 * One decoded frame before any LUT: the stored values after BitsStored masking and sign extension,
 * channels interleaved (planar configuration and YBR_FULL_422 subsampling already undone).
 */
export interface FrameSamples {
  /** 0-based. */
  readonly frameIndex: number;
  readonly width: number;
  readonly height: number;
  readonly samplesPerPixel: 1 | 3;
  readonly samples: SampleArray;
  readonly colorSpace: SampleColorSpace;
  readonly bitsStored: number;
  readonly signed: boolean;
}
