import { rasterImage, type RasterImage } from './raster.js';

export type ResizeMethod = 'area' | 'bilinear' | 'nearest';

/**
 * Resamples a raster to width x height, separably (rows, then columns). Pure and deterministic: the same
 * numbers on the server and in the browser. 'area' averages the source pixels each target pixel covers
 * (exact box weights, no aliasing when a 512x512 slice becomes 28x28) and falls back to bilinear along an
 * axis that grows; 'bilinear' samples at pixel centres (align_corners = false); 'nearest' picks one.
 */
export function resize(image: RasterImage, width: number, height: number, method: ResizeMethod): RasterImage {
  if (image.width === width && image.height === height) return image;
  const columns = weights(image.width, width, method);
  const rows = weights(image.height, height, method);
  const c = image.channels;
  // Horizontal pass: height(src) x width(dst).
  const across = new Float32Array(image.height * width * c);
  for (let y = 0; y < image.height; y++) {
    const source = y * image.width * c;
    const target = y * width * c;
    for (let x = 0; x < width; x++) {
      const { first, w } = columns[x]!;
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let i = 0; i < w.length; i++) sum += w[i]! * image.data[source + (first + i) * c + k]!;
        across[target + x * c + k] = sum;
      }
    }
  }
  // Vertical pass.
  const out = new Float32Array(height * width * c);
  const stride = width * c;
  for (let y = 0; y < height; y++) {
    const { first, w } = rows[y]!;
    const target = y * stride;
    for (let x = 0; x < stride; x++) {
      let sum = 0;
      for (let i = 0; i < w.length; i++) sum += w[i]! * across[(first + i) * stride + x]!;
      out[target + x] = sum;
    }
  }
  return rasterImage(width, height, c, out);
}

interface Taps {
  /** First source index. */
  readonly first: number;
  /** Weights for source indices first, first + 1, ... (sum 1). */
  readonly w: Float64Array;
}

/** Per target index along one axis, the source taps and their weights. */
function weights(source: number, target: number, method: ResizeMethod): Taps[] {
  const ratio = source / target;
  const taps: Taps[] = [];
  for (let i = 0; i < target; i++) {
    if (method === 'nearest') {
      taps.push({ first: Math.min(source - 1, Math.floor((i + 0.5) * ratio)), w: Float64Array.of(1) });
    } else if (method === 'area' && ratio > 1) {
      const start = i * ratio;
      const end = start + ratio;
      const first = Math.floor(start);
      const last = Math.min(source - 1, Math.ceil(end) - 1);
      const w = new Float64Array(last - first + 1);
      for (let s = first; s <= last; s++) w[s - first] = (Math.min(end, s + 1) - Math.max(start, s)) / ratio;
      taps.push({ first, w });
    } else {
      const centre = Math.min(source - 1, Math.max(0, (i + 0.5) * ratio - 0.5));
      const first = Math.min(source - 1, Math.floor(centre));
      const frac = centre - first;
      taps.push(first + 1 < source ? { first, w: Float64Array.of(1 - frac, frac) } : { first, w: Float64Array.of(1) });
    }
  }
  return taps;
}
