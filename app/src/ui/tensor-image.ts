import type { ImageSpec } from '../../../adapters/imaging/image-spec.js';
import type { ImageTensor } from '../../../adapters/imaging/to-tensor.js';
import { decodeMask, resizeMask, type EncodedMask } from '../../../adapters/imaging/segmentation.js';

/**
 * Draws the first image of the model's input tensor, mapped back to 0..255 through the bundle's
 * normalisation: what the model was given (windowed, resized, in its colour), not the file.
 */
export function tensorImage(tensor: ImageTensor, spec: ImageSpec): HTMLCanvasElement {
  const { width, height } = spec;
  const channels = spec.color === 'rgb' ? 3 : 1;
  const plane = width * height;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.className = 'model-view';
  const context = canvas.getContext('2d');
  if (!context) return canvas;
  const pixels = context.createImageData(width, height);
  const depth = spec.frames === 'volume' ? tensor.shape[2]! : 1;
  const at = (c: number, p: number) => (spec.layout === 'NHWC' ? p * channels + c : c * plane * depth + p);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      const c = channels === 3 ? k : 0;
      const mean = spec.mean[spec.mean.length === 1 ? 0 : c]!;
      const std = spec.std[spec.std.length === 1 ? 0 : c]!;
      pixels.data[4 * p + k] = (tensor.data[at(c, p)]! * std + mean) / spec.scale;
    }
    pixels.data[4 * p + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  return canvas;
}

/** Colours of segments 1, 2, ... over the model's view (background stays clear). */
const SEGMENT_COLOURS: readonly [number, number, number][] = [[230, 57, 70], [42, 157, 143], [233, 196, 106], [69, 123, 157], [244, 162, 97]];

/**
 * Paints a segmentation mask (at the source's size, as the answer gives it) over the canvas showing the
 * model's view, resampled to the canvas by nearest neighbour, half transparent.
 */
export function paintMask(canvas: HTMLCanvasElement, encoded: EncodedMask): void {
  const context = canvas.getContext('2d');
  if (!context) return;
  const mask = resizeMask(decodeMask(encoded), canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  for (let p = 0; p < mask.labels.length; p++) {
    const label = mask.labels[p]!;
    if (label === 0) continue;
    const colour = SEGMENT_COLOURS[(label - 1) % SEGMENT_COLOURS.length]!;
    for (let k = 0; k < 3; k++) pixels.data[4 * p + k] = Math.round(0.5 * pixels.data[4 * p + k]! + 0.5 * colour[k]!);
  }
  context.putImageData(pixels, 0, 0);
  canvas.classList.add('with-mask');
}
