import type { PixelModule } from './pixel-module.js';
import type { SampleArray } from './samples.js';

/** Raw sample words of a frame: unsigned, one element per sample, as wide as BitsAllocated (1-bit data unpacked to bytes). */
export type Container = Uint8Array | Uint16Array | Uint32Array;

/**
 * Stored values from raw words (PS3.5 8.1.1): keeps the BitsStored bits ending at HighBit, and for
 * PixelRepresentation 1 sign-extends them (two's complement of BitsStored bits), so that e.g. a 12-bit
 * signed CT value 0xF830 read from a 16-bit word becomes -2000, whatever the unused high bits held.
 */
export function storedValues(raw: Container, module: Pick<PixelModule, 'bitsAllocated' | 'bitsStored' | 'highBit' | 'signed'>): SampleArray {
  const { bitsStored, signed } = module;
  const shift = module.highBit - bitsStored + 1;
  const container = raw.BYTES_PER_ELEMENT * 8;
  if (shift === 0 && bitsStored === container) return signed ? signedView(raw) : raw;
  const out = signed ? signedArray(raw) : new (raw.constructor as new (length: number) => Container)(raw.length);
  const range = 2 ** bitsStored;
  const mask = bitsStored === 32 ? 0xffffffff : range - 1;
  const signBit = range / 2;
  for (let index = 0; index < raw.length; index++) {
    const value = (raw[index]! >>> shift) & mask;
    out[index] = signed && value >>> 0 >= signBit ? (value >>> 0) - range : value >>> 0;
  }
  return out;
}

function signedView(raw: Container): SampleArray {
  if (raw instanceof Uint8Array) return new Int8Array(raw.buffer, raw.byteOffset, raw.length);
  if (raw instanceof Uint16Array) return new Int16Array(raw.buffer, raw.byteOffset, raw.length);
  return new Int32Array(raw.buffer, raw.byteOffset, raw.length);
}

function signedArray(raw: Container): Int8Array | Int16Array | Int32Array {
  if (raw instanceof Uint8Array) return new Int8Array(raw.length);
  if (raw instanceof Uint16Array) return new Int16Array(raw.length);
  return new Int32Array(raw.length);
}

/** An unsigned container of `bitsAllocated` width from a codec's output, reinterpreting or widening as needed. */
export function toContainer(data: Uint8Array | Int8Array | Uint16Array | Int16Array, bitsAllocated: 1 | 8 | 16 | 32): Container | undefined {
  const width = bitsAllocated === 1 ? 8 : bitsAllocated;
  const bytes = data.BYTES_PER_ELEMENT;
  if (bytes * 8 === width) {
    if (width === 8) return new Uint8Array(data.buffer, data.byteOffset, data.length);
    return new Uint16Array(data.buffer, data.byteOffset, data.length);
  }
  if (bytes * 8 < width) {
    const widened = width === 16 ? new Uint16Array(data.length) : new Uint32Array(data.length);
    const unsignedSource = bytes === 1 ? new Uint8Array(data.buffer, data.byteOffset, data.length) : new Uint16Array(data.buffer, data.byteOffset, data.length);
    widened.set(unsignedSource);
    return widened;
  }
  return undefined;
}
