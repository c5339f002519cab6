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
  const src = image.data;
  // Horizontal pass: height(src) x width(dst).
  const across = new Float32Array(image.height * width * c);
  for (let y = 0; y < image.height; y++) {
    const source = y * image.width * c;
    const target = y * width * c;
    for (let x = 0; x < width; x++) {
      const first = columns.first[x]!;
      const from = columns.start[x]!;
      const to = columns.start[x + 1]!;
      for (let k = 0; k < c; k++) {
        const at = source + first * c + k;
        let sum = 0;
        for (let i = from; i < to; i++) sum += columns.w[i]! * src[at + (i - from) * c]!;
        across[target + x * c + k] = sum;
      }
    }
  }
  // Vertical pass.
  const out = new Float32Array(height * width * c);
  const stride = width * c;
  for (let y = 0; y < height; y++) {
    const first = rows.first[y]!;
    const from = rows.start[y]!;
    const to = rows.start[y + 1]!;
    const target = y * stride;
    for (let x = 0; x < stride; x++) {
      const at = first * stride + x;
      let sum = 0;
      for (let i = from; i < to; i++) sum += rows.w[i]! * across[at + (i - from) * stride]!;
      out[target + x] = sum;
    }
  }
  return rasterImage(width, height, c, out);
}

/**
 * The taps of every target index along one axis, in flat arrays: target i reads source indices
 * first[i], first[i] + 1, ... with the weights w[start[i]] .. w[start[i + 1] - 1] (they sum to 1).
 */
interface Taps {
  readonly first: Int32Array;
  readonly start: Int32Array;
  readonly w: Float64Array;
}

/** Per target index along one axis, the source taps and their weights. */
function weights(source: number, target: number, method: ResizeMethod): Taps {
  const ratio = source / target;
  const first = new Int32Array(target);
  const start = new Int32Array(target + 1);
  const area = method === 'area' && ratio > 1;
  // At most ceil(ratio) + 1 taps per target index (area), 2 (bilinear) or 1 (nearest).
  const w = new Float64Array(target * (area ? Math.ceil(ratio) + 1 : 2));
  let used = 0;
  for (let i = 0; i < target; i++) {
    start[i] = used;
    if (method === 'nearest') {
      first[i] = Math.min(source - 1, Math.floor((i + 0.5) * ratio));
      w[used++] = 1;
    } else if (area) {
      const from = i * ratio;
      const end = from + ratio;
      const low = Math.floor(from);
      const last = Math.min(source - 1, Math.ceil(end) - 1);
      first[i] = low;
      for (let s = low; s <= last; s++) w[used++] = (Math.min(end, s + 1) - Math.max(from, s)) / ratio;
    } else {
      const centre = Math.min(source - 1, Math.max(0, (i + 0.5) * ratio - 0.5));
      const low = Math.min(source - 1, Math.floor(centre));
      const frac = centre - low;
      first[i] = low;
      if (low + 1 < source) {
        w[used++] = 1 - frac;
        w[used++] = frac;
      } else {
        w[used++] = 1;
      }
    }
  }
  start[target] = used;
  return { first, start, w };
}
