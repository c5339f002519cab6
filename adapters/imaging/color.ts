import { rasterImage, type RasterImage } from './raster.js';

/**
 * Converts between grayscale and RGB as a model expects. RGB to gray is the ITU-R BT.601 luma
 * (0.299 R + 0.587 G + 0.114 B), as most training pipelines (PIL's "L" mode, OpenCV) do.
 */
export function toColor(image: RasterImage, color: 'grayscale' | 'rgb'): RasterImage {
  const pixels = image.width * image.height;
  if (color === 'grayscale' && image.channels === 3) {
    const out = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) {
      out[p] = 0.299 * image.data[3 * p]! + 0.587 * image.data[3 * p + 1]! + 0.114 * image.data[3 * p + 2]!;
    }
    return rasterImage(image.width, image.height, 1, out);
  }
  if (color === 'rgb' && image.channels === 1) {
    const out = new Float32Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      const value = image.data[p]!;
      out[3 * p] = value;
      out[3 * p + 1] = value;
      out[3 * p + 2] = value;
    }
    return rasterImage(image.width, image.height, 3, out);
  }
  return image;
}
