import type { SampleArray } from './samples.js';

/**
 * Colour samples to RGB on the display scale 0..255. YBR_FULL uses the full-range ITU-R BT.601
 * equations of PS3.3 C.7.6.3.1.2 (as libjpeg and DCMTK do), with the chroma offset 2^(BitsStored-1);
 * samples wider than 8 bits are scaled by 255 / (2^BitsStored - 1).
 */
export function colorToRgb(samples: SampleArray, colorSpace: 'RGB' | 'YBR_FULL', bitsStored: number): Float32Array {
  const max = 2 ** bitsStored - 1;
  const scale = 255 / max;
  const out = new Float32Array(samples.length);
  if (colorSpace === 'RGB') {
    for (let index = 0; index < samples.length; index++) out[index] = samples[index]! * scale;
    return out;
  }
  const half = 2 ** (bitsStored - 1);
  for (let index = 0; index + 2 < samples.length; index += 3) {
    const y = samples[index]!;
    const cb = samples[index + 1]! - half;
    const cr = samples[index + 2]! - half;
    const r = y + 1.402 * cr;
    const g = y - 0.344136 * cb - 0.714136 * cr;
    const b = y + 1.772 * cb;
    out[index] = (r < 0 ? 0 : r > max ? max : r) * scale;
    out[index + 1] = (g < 0 ? 0 : g > max ? max : g) * scale;
    out[index + 2] = (b < 0 ? 0 : b > max ? max : b) * scale;
  }
  return out;
}
