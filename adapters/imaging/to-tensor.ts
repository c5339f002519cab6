import { toColor } from './color.js';
import type { ImageSpec } from './image-spec.js';
import { ImagingInputError, type RasterImage } from './raster.js';
import { resize } from './resize.js';

export interface ImageTensor {
  readonly data: Float32Array;
  /** [N, C, H, W] or [N, H, W, C]; [1, C, D, H, W] for a volume. */
  readonly shape: number[];
}

/**
 * Turns decoded images (display scale 0..255) into the model's input tensor as the bundle declares:
 * colour, resize, value = (pixel * scale - mean[c]) / std[c], layout. One image per batch row, or all of
 * them as one volume. The server and the browser both call this, so they feed the model the same numbers.
 */
export function imagesToTensor(images: readonly RasterImage[], spec: ImageSpec): ImageTensor {
  if (images.length === 0) throw new ImagingInputError('INVALID_IMAGE', 'no image to run: the input holds no frame');
  const channels = spec.color === 'rgb' ? 3 : 1;
  const { width, height } = spec;
  const plane = width * height;
  const perImage = plane * channels;
  const data = new Float32Array(perImage * images.length);
  const mean = (c: number) => spec.mean[spec.mean.length === 1 ? 0 : c]!;
  const std = (c: number) => spec.std[spec.std.length === 1 ? 0 : c]!;
  const volume = spec.frames === 'volume';
  const scale = spec.scale;
  const nhwc = spec.layout === 'NHWC';
  images.forEach((image, n) => {
    const ready = resize(toColor(image, spec.color), width, height, spec.resize).data;
    for (let c = 0; c < channels; c++) {
      const m = mean(c);
      const s = std(c);
      // NCHW: n, c, y, x. Volume (C, D, H, W): c, n, y, x. NHWC: n, y, x, c.
      const base = nhwc ? n * perImage + c : volume ? (c * images.length + n) * plane : n * perImage + c * plane;
      const step = nhwc ? channels : 1;
      for (let p = 0; p < plane; p++) data[base + p * step] = (ready[p * channels + c]! * scale - m) / s;
    }
  });
  const shape = volume ? [1, channels, images.length, height, width]
    : spec.layout === 'NHWC' ? [images.length, height, width, channels]
    : [images.length, channels, height, width];
  return { data, shape };
}
