import { describe, expect, it } from 'vitest';
import { decodeFrameSamples } from '../../../adapters/imaging/dicom/index.js';
import { encapsulated, imageElements, part10, raw } from '../../fixtures/dicom/build-dicom.js';

/**
 * RLE Lossless with 1-bit samples, allowed since CP-2301 (binary segmentations): one segment holding the
 * frame's packed bits, as the native encoding packs them. It must decode to the samples of the same frame
 * stored natively.
 */
const RLE = '1.2.840.10008.1.2.5';
const ROWS = 7;
const COLUMNS = 9; // 63 pixels: the last packed byte is partly padding

const mask = Array.from({ length: ROWS * COLUMNS }, (_, i) => ((i * 7) % 5 === 0 || i % 11 === 3 ? 1 : 0));

function packBitsLsbFirst(bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => { if (bit) out[i >>> 3]! |= 1 << (i & 7); });
  return out;
}

/** PackBits, with one replicate run where bytes repeat and literals elsewhere. */
function packBits(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === bytes[i] && run < 128) run++;
    if (run >= 2) {
      out.push((1 - run) & 0xff, bytes[i]!);
      i += run;
    } else {
      let end = i + 1;
      while (end < bytes.length && end - i < 128 && bytes[end] !== bytes[end - 1]) end++;
      out.push(end - i - 1, ...bytes.subarray(i, end));
      i = end;
    }
  }
  if (out.length % 2) out.push(0x80); // -128: no-op padding to an even segment length
  return new Uint8Array(out);
}

function rleFrame(segment: Uint8Array): Uint8Array {
  const frame = new Uint8Array(64 + segment.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 1, true);
  view.setUint32(4, 64, true);
  frame.set(segment, 64);
  return frame;
}

const image = imageElements({ rows: ROWS, columns: COLUMNS, bitsAllocated: 1, bitsStored: 1 });

describe('RLE Lossless, 1-bit samples (CP-2301)', () => {
  it('decode to the same samples as the native 1-bit encoding of the frame', async () => {
    const packed = packBitsLsbFirst(mask);
    const rle = await decodeFrameSamples(part10([...image, encapsulated([rleFrame(packBits(packed))])], RLE));
    const native = await decodeFrameSamples(part10([...image, raw(0x7fe00010, 'OB', packed.length % 2 ? new Uint8Array([...packed, 0]) : packed)]));
    expect(Array.from(rle.samples)).toEqual(mask);
    expect(Array.from(rle.samples)).toEqual(Array.from(native.samples));
  });

  it('refuse a segment that decodes short, naming the frame', async () => {
    const short = packBits(packBitsLsbFirst(mask).subarray(0, 4));
    await expect(decodeFrameSamples(part10([...image, encapsulated([rleFrame(short)])], RLE))).rejects.toThrow(/frame 1: RLE segment 1 decodes to \d+ bytes, 8 expected/);
  });

  it('refuse a header that lists more than one segment for 1-bit samples', async () => {
    const frame = rleFrame(packBits(packBitsLsbFirst(mask)));
    new DataView(frame.buffer).setUint32(0, 2, true);
    await expect(decodeFrameSamples(part10([...image, encapsulated([frame])], RLE))).rejects.toThrow(/lists 2 segments, 1 expected for 1 sample\(s\) of 1 bits/);
  });
});
