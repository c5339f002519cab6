import { describe, expect, it } from 'vitest';
import { toColor } from '../../../adapters/imaging/color.js';
import { imageSpecSchema, parseImageSpec } from '../../../adapters/imaging/image-spec.js';
import { rasterImage } from '../../../adapters/imaging/raster.js';
import { resize } from '../../../adapters/imaging/resize.js';
import { imagesToTensor } from '../../../adapters/imaging/to-tensor.js';
import { classify, classScores, type LabelDeclaration } from '../../../adapters/prediction/classify.js';

const ramp = (w: number, h: number) => rasterImage(w, h, 1, Float32Array.from({ length: w * h }, (_, i) => i));

describe('resize', () => {
  it('averages exactly the source pixels each target pixel covers when shrinking (area)', () => {
    const out = resize(ramp(4, 4), 2, 2, 'area');
    // Top-left target covers source (0,0),(1,0),(0,1),(1,1) = 0,1,4,5.
    expect(Array.from(out.data)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('weights partial coverage when the ratio is not whole (3 -> 2)', () => {
    const row = rasterImage(3, 1, 1, Float32Array.of(0, 30, 60));
    const out = resize(row, 2, 1, 'area');
    // Target 0 covers [0, 1.5): 0 x 1 + 30 x 0.5, over 1.5 = 10. Target 1 covers [1.5, 3): 30 x 0.5 + 60, over 1.5 = 50.
    expect(out.data[0]).toBeCloseTo(10, 5);
    expect(out.data[1]).toBeCloseTo(50, 5);
  });

  it('keeps the mean of the image when shrinking 512 -> 28 (no pixel lost or counted twice)', () => {
    const big = ramp(512, 512);
    const out = resize(big, 28, 28, 'area');
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out.data)).toBeCloseTo(mean(big.data), 0);
  });

  it('interpolates at pixel centres when growing (bilinear), and nearest picks a source value', () => {
    const row = rasterImage(2, 1, 1, Float32Array.of(0, 100));
    expect(Array.from(resize(row, 4, 1, 'bilinear').data)).toEqual([0, 25, 75, 100]);
    expect(Array.from(resize(row, 4, 1, 'nearest').data)).toEqual([0, 0, 100, 100]);
  });

  it('keeps channels apart', () => {
    const rgb = rasterImage(2, 2, 3, Float32Array.from([10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30]));
    expect(Array.from(resize(rgb, 1, 1, 'area').data)).toEqual([10, 20, 30]);
  });
});

describe('colour', () => {
  it('uses BT.601 luma for RGB to gray, and replicates gray into RGB', () => {
    const rgb = rasterImage(1, 1, 3, Float32Array.of(255, 0, 0));
    expect(toColor(rgb, 'grayscale').data[0]).toBeCloseTo(76.245, 3);
    expect(Array.from(toColor(rasterImage(1, 1, 1, Float32Array.of(7)), 'rgb').data)).toEqual([7, 7, 7]);
  });
});

describe('images to tensor', () => {
  const base = { kind: 'image', input: 'x', width: 2, height: 1 } as const;

  it('normalises per channel and lays out NCHW and NHWC', () => {
    const image = rasterImage(2, 1, 3, Float32Array.of(255, 0, 0, 0, 255, 0));
    const nchw = imagesToTensor([image], imageSpecSchema.parse({ ...base, color: 'rgb', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }));
    expect(nchw.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(nchw.data)).toEqual([1, -1, -1, 1, -1, -1]);
    const nhwc = imagesToTensor([image], imageSpecSchema.parse({ ...base, color: 'rgb', layout: 'NHWC', scale: 1, mean: [0], std: [1] }));
    expect(nhwc.shape).toEqual([1, 1, 2, 3]);
    expect(Array.from(nhwc.data)).toEqual([255, 0, 0, 0, 255, 0]);
  });

  it('puts each image in its own batch row, or all frames in one volume', () => {
    const a = rasterImage(2, 1, 1, Float32Array.of(1, 2));
    const b = rasterImage(2, 1, 1, Float32Array.of(3, 4));
    const each = imagesToTensor([a, b], imageSpecSchema.parse({ ...base, color: 'grayscale', scale: 1 }));
    expect(each.shape).toEqual([2, 1, 1, 2]);
    expect(Array.from(each.data)).toEqual([1, 2, 3, 4]);
    const volume = imagesToTensor([a, b], imageSpecSchema.parse({ ...base, color: 'grayscale', scale: 1, frames: 'volume' }));
    expect(volume.shape).toEqual([1, 1, 2, 1, 2]);
  });

  it('refuses an empty list with a clear message', () => {
    expect(() => imagesToTensor([], imageSpecSchema.parse({ ...base, color: 'grayscale' }))).toThrow(/no frame/);
  });
});

describe('the image preprocessing declaration', () => {
  const input = { name: 'image', shape: [-1, 1, 28, 28] };
  const ok = { kind: 'image', input: 'image', color: 'grayscale', width: 28, height: 28 };

  it('accepts the demo bundle form and fills defaults', () => {
    expect(parseImageSpec(ok, input)).toMatchObject({ layout: 'NCHW', resize: 'area', window: 'file', frames: 'first' });
  });

  it('names the field and what was expected', () => {
    expect(() => parseImageSpec({ ...ok, width: 32 }, input)).toThrow(/input 'image' has shape \[-1, 1, 28, 28\]; expected \[N, 1, 28, 32\]/);
    expect(() => parseImageSpec({ ...ok, color: 'rgb', mean: [1, 2] }, { ...input, shape: [-1, 3, 28, 28] })).toThrow(/preprocessing.mean: give 1 or 3 values/);
    expect(() => parseImageSpec({ ...ok, window: { center: 40 } }, input)).toThrow(/preprocessing.window/);
    expect(() => parseImageSpec(ok, undefined)).toThrow(/no input named 'image'/);
  });
});

describe('classification', () => {
  it('reads softmax, sigmoid and probability rows and labels them in the language asked for', () => {
    const labels: LabelDeclaration[] = [{ id: 'normal', text: { en: 'Normal', fr: 'Normal' } }, { id: 'pneumonia', text: { en: 'Pneumonia', de: 'Pneumonie' } }];
    const scores = classScores('softmax', [0, Math.log(3)]);
    expect(scores[1]).toBeCloseTo(0.75, 10);
    expect(classify(scores, labels, 'de')).toMatchObject({ label: { id: 'pneumonia', text: 'Pneumonie' }, score: scores[1] });
    expect(classify(scores, labels, 'fr').scores[1]!.text).toBe('Pneumonia');
    expect(classScores('sigmoid', [0])).toEqual([0.5, 0.5]);
    expect(classScores('probability', [0.2])).toEqual([0.8, 0.2]);
  });
});
