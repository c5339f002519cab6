/**
 * Reading a segmentation model's output: one label per pixel, and a compact form for JSON. The same
 * steps on the server and in the browser.
 */
export interface LabelMask {
  readonly width: number;
  readonly height: number;
  /** Row-major label per pixel: 0 background, k the k-th class. */
  readonly labels: Uint8Array;
}

/** Run-length encoding of a mask, row-major: [value, run length, value, run length, ...]. */
export interface EncodedMask {
  readonly encoding: 'rle';
  readonly width: number;
  readonly height: number;
  readonly runs: number[];
}

/**
 * Label masks from output rows. `[C, H, W]` per row with C > 1: the class with the largest value per pixel
 * (ties to the lower class). `[1, H, W]`: a probability (or logit, `threshold` 0) thresholded to 0/1.
 */
export function labelMasks(output: ArrayLike<number>, rows: number, shape: readonly number[], threshold: number): LabelMask[] {
  const [classes, height, width] = shape.slice(-3) as [number, number, number];
  const plane = width * height;
  const perRow = classes * plane;
  if (output.length !== rows * perRow) throw new RangeError(`segmentation output holds ${output.length} values, ${rows} x ${classes} x ${height} x ${width} expected`);
  const masks: LabelMask[] = [];
  for (let r = 0; r < rows; r++) {
    const labels = new Uint8Array(plane);
    const base = r * perRow;
    for (let p = 0; p < plane; p++) {
      if (classes === 1) {
        labels[p] = output[base + p]! > threshold ? 1 : 0;
        continue;
      }
      let best = 0;
      let bestValue = output[base + p]!;
      for (let c = 1; c < classes; c++) {
        const v = output[base + c * plane + p]!;
        if (v > bestValue) {
          best = c;
          bestValue = v;
        }
      }
      labels[p] = best;
    }
    masks.push({ width, height, labels });
  }
  return masks;
}

/** Nearest-neighbour resampling, so values stay labels (e.g. to the source image's rows x columns). */
export function resizeMask(mask: LabelMask, width: number, height: number): LabelMask {
  if (mask.width === width && mask.height === height) return mask;
  const labels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
      labels[y * width + x] = mask.labels[sy * mask.width + sx]!;
    }
  }
  return { width, height, labels };
}

export function encodeMask(mask: LabelMask): EncodedMask {
  const runs: number[] = [];
  let i = 0;
  while (i < mask.labels.length) {
    const value = mask.labels[i]!;
    let j = i + 1;
    while (j < mask.labels.length && mask.labels[j] === value) j++;
    runs.push(value, j - i);
    i = j;
  }
  return { encoding: 'rle', width: mask.width, height: mask.height, runs };
}

export function decodeMask(encoded: EncodedMask): LabelMask {
  const labels = new Uint8Array(encoded.width * encoded.height);
  let at = 0;
  for (let k = 0; k < encoded.runs.length; k += 2) {
    labels.fill(encoded.runs[k]!, at, at + encoded.runs[k + 1]!);
    at += encoded.runs[k + 1]!;
  }
  if (at !== labels.length) throw new RangeError(`the runs cover ${at} pixels, ${labels.length} expected`);
  return { width: encoded.width, height: encoded.height, labels };
}

/** Share of the pixels each label covers (labels 1..n; background left out). */
export function labelFractions(mask: LabelMask, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const v of mask.labels) if (v < classes) counts[v]!++;
  return counts.map((c) => c / mask.labels.length);
}
