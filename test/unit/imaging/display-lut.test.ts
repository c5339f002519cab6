import { describe, expect, it } from 'vitest';
import { storedValues, type Container } from '../../../adapters/imaging/dicom/bits.js';
import { MAX_LUT_ENTRIES, monochromeToDisplay } from '../../../adapters/imaging/dicom/display-lut.js';
import type { ModalityTransform } from '../../../adapters/imaging/dicom/modality-lut.js';
import type { SampleArray } from '../../../adapters/imaging/dicom/samples.js';
import type { VoiWindow } from '../../../adapters/imaging/dicom/voi.js';
import { mulberry32 as random } from '../../../runtime/util/seeded-random.js';


/**
 * PS3.3 C.11 written out per pixel, as plainly as possible: the modality value (Float32, as the raster
 * keeps it), the VOI function on 0..255 (C.11.2.1.2 LINEAR, C.11.2.1.3.1 LINEAR_EXACT, C.11.2.1.3.2
 * SIGMOID), the frame's range when no window is given, 255 - y for MONOCHROME1, stored as Float32.
 */
function reference(samples: SampleArray, transform: ModalityTransform, window: VoiWindow | undefined, invert: boolean): Float32Array {
  const modality = (s: number) => {
    if (transform.kind === 'rescale') return Math.fround(s * transform.slope + transform.intercept);
    const i = Math.min(Math.max(s - transform.firstMapped, 0), transform.values.length - 1);
    return transform.values[i]!;
  };
  const values = Array.from(samples, modality);
  let voi = window;
  if (!voi) {
    const min = values.reduce((a, b) => Math.min(a, b), Infinity);
    const max = values.reduce((a, b) => Math.max(a, b), -Infinity);
    voi = { center: (min + max) / 2, width: max - min, function: 'LINEAR_EXACT' };
  }
  const { center: c, width: w } = voi;
  const display = (x: number) => {
    if (voi.function === 'SIGMOID') return 255 / (1 + Math.exp((-4 * (x - c)) / w));
    if (voi.function === 'LINEAR_EXACT') return x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : ((x - c) / w + 0.5) * 255;
    if (x <= c - 0.5 - (w - 1) / 2) return 0;
    if (x > c - 0.5 + (w - 1) / 2) return 255;
    return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
  };
  return Float32Array.from(values, (x) => (invert ? 255 - display(x) : display(x)));
}

/** Bit-for-bit equality of two Float32 rasters (-0 and +0 apart, NaN equal to itself). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Random raw words of `bitsAllocated` width whose unused bits hold garbage, as some writers leave them. */
function rawWords(next: () => number, count: number, bitsAllocated: 8 | 16 | 32): Container {
  const out = bitsAllocated === 8 ? new Uint8Array(count) : bitsAllocated === 16 ? new Uint16Array(count) : new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(next() * 2 ** bitsAllocated);
  return out;
}

/** Stored values as PS3.5 8.1.1 describes them, one sample at a time. */
function referenceStored(raw: Container, bitsStored: number, highBit: number, signed: boolean): number[] {
  return Array.from(raw, (word) => {
    const value = Math.floor(word / 2 ** (highBit - bitsStored + 1)) % 2 ** bitsStored;
    return signed && value >= 2 ** (bitsStored - 1) ? value - 2 ** bitsStored : value;
  });
}

const WINDOWS: Record<string, (lowest: number, highest: number) => VoiWindow | undefined> = {
  'the frame range (minmax)': () => undefined,
  LINEAR: (lo, hi) => ({ center: (lo + hi) / 2 + 3.7, width: (hi - lo) / 3 + 1, function: 'LINEAR' }),
  'LINEAR width 1 (threshold)': (lo, hi) => ({ center: (lo + hi) / 2, width: 1, function: 'LINEAR' }),
  LINEAR_EXACT: (lo, hi) => ({ center: (lo + hi) / 2, width: (hi - lo) / 2 + 0.5, function: 'LINEAR_EXACT' }),
  SIGMOID: (lo, hi) => ({ center: (lo + hi) / 2 - 1.25, width: (hi - lo) / 4 + 1, function: 'SIGMOID' }),
};

// Depths as stored in their container: 8 in 8, 12 in 16 (high bit 11 or 15), 16 in 16; 1-bit samples unpacked to bytes.
const DEPTHS = [
  { bitsAllocated: 8, bitsStored: 8, highBit: 7 },
  { bitsAllocated: 16, bitsStored: 12, highBit: 11 },
  { bitsAllocated: 16, bitsStored: 12, highBit: 15 },
  { bitsAllocated: 16, bitsStored: 16, highBit: 15 },
  { bitsAllocated: 16, bitsStored: 10, highBit: 12 },
] as const;

describe('display LUT: modality LUT + window + MONOCHROME1 in one table equals the per-pixel formula, bit for bit', () => {
  let seed = 1;
  for (const depth of DEPTHS) {
    for (const signed of [false, true]) {
      for (const invert of [false, true]) {
        const name = `${depth.bitsStored} bits stored in ${depth.bitsAllocated} (high bit ${depth.highBit}), ${signed ? 'signed' : 'unsigned'}, ${invert ? 'MONOCHROME1' : 'MONOCHROME2'}`;
        const caseSeed = seed++;
        it(name, () => {
          const next = random(caseSeed);
          // 256x256: a table over every 8-, 10- or 12-bit value, over the frame's range for 16 bits; 24x24: over
          // the frame's range for 8 bits, per pixel for wider samples (the range is larger than the frame).
          for (const size of [256, 24]) {
            const raw = rawWords(next, size * size, depth.bitsAllocated);
            const module = { bitsAllocated: depth.bitsAllocated, bitsStored: depth.bitsStored, highBit: depth.highBit, signed };
            const samples = storedValues(raw, module);
            expect(Array.from(samples)).toEqual(referenceStored(raw, depth.bitsStored, depth.highBit, signed));
            const lowest = signed ? -(2 ** (depth.bitsStored - 1)) : 0;
            const highest = lowest + 2 ** depth.bitsStored - 1;
            const table = Float32Array.from({ length: 700 }, () => Math.floor(next() * 65536));
            const transforms: ModalityTransform[] = [
              { kind: 'rescale', slope: 1, intercept: 0 },
              { kind: 'rescale', slope: 1, intercept: -1024 },
              { kind: 'rescale', slope: 0.3 + next() * 2, intercept: -1000 * next() },
              { kind: 'rescale', slope: -0.75, intercept: 17.5 },
              // Entries from a value inside the range, so samples fall below, on and above the table.
              { kind: 'table', firstMapped: Math.round(lowest + (highest - lowest) / 3), values: table },
            ];
            for (const transform of transforms) {
              const lo = transform.kind === 'rescale' ? Math.min(lowest * transform.slope, highest * transform.slope) + transform.intercept : 0;
              const hi = transform.kind === 'rescale' ? Math.max(lowest * transform.slope, highest * transform.slope) + transform.intercept : 65535;
              for (const [windowName, make] of Object.entries(WINDOWS)) {
                const window = make(lo, hi);
                const got = monochromeToDisplay(samples, module, transform, window, invert);
                const want = reference(samples, transform, window, invert);
                if (!sameBits(got, want)) expect.fail(`${size}x${size}, ${JSON.stringify({ ...transform, values: undefined })}, ${windowName}: differs from the per-pixel formula`);
              }
            }
          }
        });
      }
    }
  }

  it('1-bit samples, 32-bit samples past the table size, a constant frame and an empty one', () => {
    const next = random(99);
    const bits = Uint8Array.from({ length: 4096 }, () => (next() < 0.5 ? 0 : 1));
    const wide = Int32Array.from({ length: 4096 }, () => Math.floor((next() - 0.5) * 2 ** 31));
    const flat = new Int16Array(4096).fill(-1234);
    const rescale: ModalityTransform = { kind: 'rescale', slope: 1, intercept: 0 };
    const cases = [[bits, 1, false], [wide, 32, true], [flat, 16, true], [new Uint16Array(0), 16, false]] as const;
    for (const [samples, bitsStored, signed] of cases) {
      for (const invert of [false, true]) {
        expect(sameBits(monochromeToDisplay(samples, { bitsStored, signed }, rescale, undefined, invert), reference(samples, rescale, undefined, invert))).toBe(true);
        const window: VoiWindow = { center: 0.5, width: 2, function: 'LINEAR' };
        expect(sameBits(monochromeToDisplay(samples, { bitsStored, signed }, rescale, window, invert), reference(samples, rescale, window, invert))).toBe(true);
      }
    }
    expect(2 ** 31).toBeGreaterThan(MAX_LUT_ENTRIES); // the 32-bit frame above goes per pixel
  });

  it('the constant frame maps to 0 (255 when inverted), as the range window of width 0 says', () => {
    const flat = new Int16Array(64).fill(-1234);
    const stored = { bitsStored: 16, signed: true };
    expect(Array.from(new Set(monochromeToDisplay(flat, stored, { kind: 'rescale', slope: 1, intercept: 0 }, undefined, false)))).toEqual([0]);
    expect(Array.from(new Set(monochromeToDisplay(flat, stored, { kind: 'rescale', slope: 1, intercept: 0 }, undefined, true)))).toEqual([255]);
  });

  it('a 512x512 frame of 16-bit samples takes the table over every 16-bit value: same bits as the formula', () => {
    const next = random(7);
    for (const signed of [false, true]) {
      const samples = storedValues(rawWords(next, 512 * 512, 16), { bitsAllocated: 16, bitsStored: 16, highBit: 15, signed });
      const transform: ModalityTransform = { kind: 'rescale', slope: 0.61, intercept: -1024.5 };
      for (const window of [undefined, { center: 40, width: 400, function: 'LINEAR' } as const, { center: 100, width: 3000, function: 'SIGMOID' } as const]) {
        for (const invert of [false, true]) {
          expect(sameBits(monochromeToDisplay(samples, { bitsStored: 16, signed }, transform, window, invert), reference(samples, transform, window, invert))).toBe(true);
        }
      }
    }
  });
});
