import type { WindowSpec } from '../image-spec.js';
import type { DataSet } from './data-set.js';
import { frameAttributeSource } from './functional-groups.js';
import { Tag } from './tags.js';
import { readDecimal, readString } from './values.js';

/** A VOI window and the function that maps it (PS3.3 C.11.2.1.2 and C.11.2.1.3). */
export interface VoiWindow {
  readonly center: number;
  readonly width: number;
  readonly function: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
}

/**
 * The window for one frame. An explicit {center, width} uses the LINEAR function, as a window given in
 * a viewer does. 'file' takes the first Window Center/Width of the frame (Frame VOI LUT functional group,
 * else top level) with the file's VOI LUT Function; a file without one, or with a width that is not
 * positive, falls back to the frame's range. 'minmax' maps the frame's range exactly onto 0..255.
 */
export function resolveWindow(spec: WindowSpec, dataSet: DataSet, frameIndex: number, values: Float32Array): VoiWindow {
  return declaredWindow(spec, dataSet, frameIndex) ?? rangeWindow(values);
}

/** The window the spec or the file gives for one frame, without looking at pixels; undefined: the frame's range is used. */
export function declaredWindow(spec: WindowSpec, dataSet: DataSet, frameIndex: number): VoiWindow | undefined {
  if (typeof spec === 'object') return { center: spec.center, width: spec.width, function: 'LINEAR' };
  if (spec === 'file') {
    const centerSource = frameAttributeSource(dataSet, Tag.FrameVOILUTSequence, Tag.WindowCenter, frameIndex);
    const widthSource = frameAttributeSource(dataSet, Tag.FrameVOILUTSequence, Tag.WindowWidth, frameIndex);
    const center = readDecimal(centerSource, Tag.WindowCenter);
    const width = readDecimal(widthSource, Tag.WindowWidth);
    if (center !== undefined && width !== undefined && width > 0) {
      const named = readString(frameAttributeSource(dataSet, Tag.FrameVOILUTSequence, Tag.VOILUTFunction, frameIndex), Tag.VOILUTFunction);
      return { center, width, function: named === 'LINEAR_EXACT' || named === 'SIGMOID' ? named : 'LINEAR' };
    }
  }
  return undefined;
}

/** LINEAR_EXACT over [min, max]: min maps to 0, max to 255 (a constant frame maps to 0). */
export function rangeWindow(values: Float32Array): VoiWindow {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return windowOverRange(min, max);
}

/** LINEAR_EXACT over [min, max] of a frame's modality values (min Infinity: the frame has no pixels). */
export function windowOverRange(min: number, max: number): VoiWindow {
  if (!Number.isFinite(min)) return { center: 0, width: 0, function: 'LINEAR_EXACT' };
  return { center: (min + max) / 2, width: max - min, function: 'LINEAR_EXACT' };
}

/**
 * Maps modality values onto the display range 0..255; `invert` for MONOCHROME1 (255 is black). The
 * formulas of windowFunction, written out in the loops (no call per pixel), with the same operations.
 */
export function applyWindow(values: Float32Array, window: VoiWindow, invert: boolean): Float32Array {
  const out = new Float32Array(values.length);
  const { center: c, width: w } = window;
  const count = values.length;
  if (window.function === 'SIGMOID') {
    for (let index = 0; index < count; index++) {
      const y = 255 / (1 + Math.exp((-4 * (values[index]! - c)) / w));
      out[index] = invert ? 255 - y : y;
    }
    return out;
  }
  // LINEAR_EXACT: [c - w/2, c + w/2] onto 0..255; LINEAR (C.11.2.1.2.1): the same around c - 0.5 with w - 1.
  const exact = window.function === 'LINEAR_EXACT';
  const low = exact ? c - w / 2 : c - 0.5 - (w - 1) / 2;
  const high = exact ? c + w / 2 : c - 0.5 + (w - 1) / 2;
  const centre = exact ? c : c - 0.5;
  const span = exact ? w : w - 1;
  for (let index = 0; index < count; index++) {
    const x = values[index]!;
    const y = x <= low ? 0 : x > high ? 255 : ((x - centre) / span + 0.5) * 255;
    out[index] = invert ? 255 - y : y;
  }
  return out;
}

/** The three VOI LUT functions with y ranging over 0..255. */
export function windowFunction(window: VoiWindow): (x: number) => number {
  const { center: c, width: w } = window;
  if (window.function === 'SIGMOID') return (x) => 255 / (1 + Math.exp((-4 * (x - c)) / w));
  if (window.function === 'LINEAR_EXACT') {
    const low = c - w / 2;
    const high = c + w / 2;
    return (x) => (x <= low ? 0 : x > high ? 255 : ((x - c) / w + 0.5) * 255);
  }
  // C.11.2.1.2.1: a width of 1 or less is a threshold at c - 0.5.
  const low = c - 0.5 - (w - 1) / 2;
  const high = c - 0.5 + (w - 1) / 2;
  return (x) => (x <= low ? 0 : x > high ? 255 : ((x - (c - 0.5)) / (w - 1) + 0.5) * 255);
}
