import type { Container } from './bits.js';
import type { PixelModule } from './pixel-module.js';

/** Where a native (uncompressed) PixelData value lies and how its words are ordered. */
export interface NativePixelData {
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly length: number;
  readonly littleEndian: boolean;
  /** OW: in big endian, 8-bit samples are swapped in pairs along with their 16-bit words. */
  readonly vr: string;
}

/**
 * The raw words of one native frame, interleaved (planar configuration 1 undone), YBR_FULL_422 pairs
 * expanded to one Y Cb Cr triple per pixel, 1-bit data unpacked (least significant bit first, frames
 * packed without padding, PS3.5 8.1.1 and 8.2). The caller has checked the value is long enough.
 */
export function nativeFrameWords(pixelData: NativePixelData, module: PixelModule, frameIndex: number): Container {
  const pixels = module.rows * module.columns;
  if (module.bitsAllocated === 1) return unpackBits(pixelData, frameIndex * pixels, pixels);
  const subsampled = module.photometric === 'YBR_FULL_422';
  const storedSamples = pixels * (subsampled ? 2 : module.samplesPerPixel);
  const bytesPerSample = module.bitsAllocated / 8;
  const start = pixelData.offset + frameIndex * storedSamples * bytesPerSample;
  const words = readWords(pixelData, start, storedSamples, module.bitsAllocated);
  if (subsampled) return expand422(words, pixels);
  if (module.samplesPerPixel === 3 && module.planarConfiguration === 1) return interleave(words, pixels);
  return words;
}

const PLATFORM_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function readWords(pixelData: NativePixelData, start: number, count: number, bitsAllocated: 8 | 16 | 32): Container {
  const { bytes, littleEndian } = pixelData;
  if (bitsAllocated === 8) {
    const out = new Uint8Array(count);
    if (!littleEndian && pixelData.vr === 'OW') {
      // Byte i of the value sits at i ^ 1 once 16-bit words are byte-swapped.
      for (let index = 0; index < count; index++) out[index] = bytes[pixelData.offset + ((start - pixelData.offset + index) ^ 1)]!;
    } else {
      out.set(bytes.subarray(start, start + count));
    }
    return out;
  }
  // Words in the platform's byte order, aligned: one copy of the bytes instead of a read per sample.
  if (littleEndian === PLATFORM_LITTLE_ENDIAN && (bytes.byteOffset + start) % (bitsAllocated / 8) === 0) {
    const words = bitsAllocated === 16 ? new Uint16Array(bytes.buffer, bytes.byteOffset + start, count) : new Uint32Array(bytes.buffer, bytes.byteOffset + start, count);
    return words.slice();
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bitsAllocated === 16) {
    const out = new Uint16Array(count);
    for (let index = 0; index < count; index++) out[index] = view.getUint16(start + index * 2, littleEndian);
    return out;
  }
  const out = new Uint32Array(count);
  for (let index = 0; index < count; index++) out[index] = view.getUint32(start + index * 4, littleEndian);
  return out;
}

function unpackBits(pixelData: NativePixelData, firstBit: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const bit = firstBit + index;
    out[index] = (pixelData.bytes[pixelData.offset + (bit >>> 3)]! >> (bit & 7)) & 1;
  }
  return out;
}

/** R..R G..G B..B -> RGB RGB ... */
export function interleave(planes: Container, pixels: number): Container {
  const out = new (planes.constructor as new (length: number) => Container)(pixels * 3);
  for (let pixel = 0; pixel < pixels; pixel++) {
    out[pixel * 3] = planes[pixel]!;
    out[pixel * 3 + 1] = planes[pixels + pixel]!;
    out[pixel * 3 + 2] = planes[2 * pixels + pixel]!;
  }
  return out;
}

/** Y1 Y2 Cb Cr (two pixels sharing chroma, PS3.3 C.7.6.3.1.2) -> Y1 Cb Cr Y2 Cb Cr. */
function expand422(words: Container, pixels: number): Container {
  const out = new (words.constructor as new (length: number) => Container)(pixels * 3);
  for (let pair = 0; pair * 2 < pixels; pair++) {
    const source = pair * 4;
    const cb = words[source + 2]!;
    const cr = words[source + 3]!;
    const target = pair * 6;
    out[target] = words[source]!;
    out[target + 1] = cb;
    out[target + 2] = cr;
    if (pair * 2 + 1 < pixels) {
      out[target + 3] = words[source + 1]!;
      out[target + 4] = cb;
      out[target + 5] = cr;
    }
  }
  return out;
}
