import { applyModality, type ModalityTransform } from './modality-lut.js';
import type { SampleArray } from './samples.js';
import { applyWindow, rangeWindow, windowFunction, windowOverRange, type VoiWindow } from './voi.js';

/** The widest stored-sample range that gets a lookup table (16-bit samples: 256 KiB of Float32). */
export const MAX_LUT_ENTRIES = 1 << 16;

/** What bounds a frame's stored values: BitsStored bits, two's complement when signed (PS3.5 8.1.1). */
export interface StoredRange {
  readonly bitsStored: number;
  readonly signed: boolean;
}

/**
 * A monochrome frame onto the display scale 0..255: modality LUT (rescale or table), VOI window (`window`,
 * or the frame's range when undefined) and, for MONOCHROME1, inversion (PS3.3 C.11).
 *
 * Stored samples are integers, so the whole chain is computed once per possible value into one table and
 * each pixel is a single lookup: over every value BitsStored allows when that table is at most a quarter
 * of the frame (12-bit samples in a 128x128 frame or larger), else over the frame's own min..max when that
 * is no wider than MAX_LUT_ENTRIES and the frame; other frames take the per-pixel path. A table entry is
 * computed with the very operations of the per-pixel path (the modality value rounded to Float32, the
 * window in double, the result rounded to Float32), so every path gives the same bits. `samples` must lie
 * in `stored`'s range, as storedValues leaves them.
 */
export function monochromeToDisplay(samples: SampleArray, stored: StoredRange, transform: ModalityTransform, window: VoiWindow | undefined, invert: boolean): Float32Array {
  const count = samples.length;
  const possible = 2 ** stored.bitsStored;
  let low = stored.signed ? -possible / 2 : 0;
  let entries = possible;
  if (possible > MAX_LUT_ENTRIES || possible * 4 > count) {
    low = Infinity;
    let high = -Infinity;
    for (let index = 0; index < count; index++) {
      const sample = samples[index]!;
      if (sample < low) low = sample;
      if (sample > high) high = sample;
    }
    entries = high - low + 1;
    if (count === 0 || entries > MAX_LUT_ENTRIES || entries > count) {
      const values = applyModality(samples, transform);
      return applyWindow(values, window ?? rangeWindow(values), invert);
    }
  }
  const modality = modalityTable(low, entries, transform);
  const voi = window ?? windowOverSamples(samples, modality, low);
  const display = displayTable(modality, voi, invert);
  const out = new Float32Array(count);
  for (let index = 0; index < count; index++) out[index] = display[samples[index]! - low]!;
  return out;
}

/** Modality values of the stored values low, low + 1, ..., as applyModality computes them per pixel. */
export function modalityTable(low: number, entries: number, transform: ModalityTransform): Float32Array {
  const out = new Float32Array(entries);
  if (transform.kind === 'rescale') {
    const { slope, intercept } = transform;
    for (let entry = 0; entry < entries; entry++) out[entry] = (low + entry) * slope + intercept;
    return out;
  }
  const { firstMapped, values } = transform;
  const last = values.length - 1;
  for (let entry = 0; entry < entries; entry++) {
    const position = low + entry - firstMapped;
    out[entry] = values[position < 0 ? 0 : position > last ? last : position]!;
  }
  return out;
}

/** rangeWindow over the frame's modality values, read through the table (the same min and max, so the same window). */
function windowOverSamples(samples: SampleArray, modality: Float32Array, low: number): VoiWindow {
  let min = Infinity;
  let max = -Infinity;
  for (let index = 0; index < samples.length; index++) {
    const value = modality[samples[index]! - low]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return windowOverRange(min, max);
}

/** The window (and inversion) applied to each modality value of the table, as applyWindow does per pixel. */
function displayTable(modality: Float32Array, window: VoiWindow, invert: boolean): Float32Array {
  const map = windowFunction(window);
  const out = new Float32Array(modality.length);
  for (let entry = 0; entry < modality.length; entry++) {
    const y = map(modality[entry]!);
    out[entry] = invert ? 255 - y : y;
  }
  return out;
}
