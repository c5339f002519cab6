/**
 * BINARY segmentation pixel data (PS3.5 8.1.1 and PS3.3 C.8.20.2): one bit per pixel, frames one after the
 * other in a single bit stream (a frame does not start on a byte boundary unless rows x columns is a multiple
 * of 8), the first pixel in the least significant bit of the first byte.
 */
export interface BinaryFrame {
  /** The source label mask. */
  readonly mask: Uint8Array;
  /** The mask value whose pixels are 1 in this frame. */
  readonly value: number;
}

export function packBinaryFrames(frames: readonly BinaryFrame[], pixelsPerFrame: number): Uint8Array {
  const totalBits = frames.length * pixelsPerFrame;
  const out = new Uint8Array(Math.ceil(totalBits / 8));
  let bit = 0;
  for (const { mask, value } of frames) {
    for (let i = 0; i < pixelsPerFrame; i++, bit++) {
      if (mask[i] === value) out[bit >>> 3]! |= 1 << (bit & 7);
    }
  }
  return out;
}

/** The mask values that occur in a mask (0 included when present). */
export function valuesPresent(mask: Uint8Array): Set<number> {
  const seen = new Uint8Array(256);
  for (let i = 0; i < mask.length; i++) seen[mask[i]!] = 1;
  const values = new Set<number>();
  seen.forEach((flag, value) => { if (flag) values.add(value); });
  return values;
}
