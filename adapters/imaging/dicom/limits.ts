/**
 * Resource limits for one decode, checked against the header before any pixel buffer is allocated.
 * The defaults admit the largest single images in clinical use (full-field mammography, 4k x 5k; long
 * cine loops) and refuse what would exhaust an edge box's memory.
 */
export interface DecodeLimits {
  /** Frames decoded in one call. */
  readonly maxFrames: number;
  /** rows x columns of one frame. */
  readonly maxPixelsPerFrame: number;
  /**
   * Bytes one call may produce: the inflated data set of a deflated file may not exceed it, nor may the
   * stored samples plus the Float32 rasters of the frames to decode.
   */
  readonly maxDecodedBytes: number;
}

export const DEFAULT_LIMITS: DecodeLimits = Object.freeze({
  maxFrames: 2048,
  maxPixelsPerFrame: 8192 * 8192,
  maxDecodedBytes: 1024 * 1024 * 1024,
});

export function fillLimits(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...stripUndefined(limits) });
}

function stripUndefined(limits: Partial<DecodeLimits> | undefined): Partial<DecodeLimits> {
  return Object.fromEntries(Object.entries(limits ?? {}).filter(([, value]) => value !== undefined));
}
