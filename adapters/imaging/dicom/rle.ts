import type { Container } from './bits.js';
import { invalidDicom } from './errors.js';
import type { PixelModule } from './pixel-module.js';

/**
 * RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits segment per byte
 * plane, most significant byte first, sample by sample (1-bit samples: one segment of packed bits). Each segment is decoded into exactly rows x
 * columns bytes: output never grows past that, and a segment that ends short is an error.
 */
export function decodeRleFrame(frame: Uint8Array, module: PixelModule, frameNumber: number): Container {
  const pixels = module.rows * module.columns;
  const bytesPerSample = module.bitsAllocated === 1 ? 1 : module.bitsAllocated / 8;
  const expectedSegments = module.samplesPerPixel * bytesPerSample;
  if (frame.length < 64) throw invalidDicom(`frame ${frameNumber}: the RLE header needs 64 bytes, the frame has ${frame.length}`);
  const header = new DataView(frame.buffer, frame.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== expectedSegments) {
    throw invalidDicom(`frame ${frameNumber}: the RLE header lists ${segments} segments, ${expectedSegments} expected for ${module.samplesPerPixel} sample(s) of ${module.bitsAllocated} bits`);
  }
  if (module.bitsAllocated === 1) return decodeBitPlane(frame, header, pixels, frameNumber);
  const out = module.bitsAllocated === 8 ? new Uint8Array(pixels * module.samplesPerPixel) : module.bitsAllocated === 16 ? new Uint16Array(pixels * module.samplesPerPixel) : new Uint32Array(pixels * module.samplesPerPixel);
  const plane = new Uint8Array(pixels);
  for (let segment = 0; segment < segments; segment++) {
    const start = header.getUint32(4 + segment * 4, true);
    const end = segment + 1 < segments ? header.getUint32(8 + segment * 4, true) : frame.length;
    if (start < 64 || end < start || end > frame.length) throw invalidDicom(`frame ${frameNumber}: RLE segment ${segment + 1} has offsets ${start}..${end} outside the ${frame.length}-byte frame`);
    unpackBits(frame.subarray(start, end), plane, frameNumber, segment + 1);
    const sample = Math.floor(segment / bytesPerSample);
    const shift = 8 * (bytesPerSample - 1 - (segment % bytesPerSample));
    for (let pixel = 0; pixel < pixels; pixel++) {
      const index = pixel * module.samplesPerPixel + sample;
      out[index] = (out[index]! + plane[pixel]! * 2 ** shift) >>> 0;
    }
  }
  return out;
}

/**
 * 1-bit samples (allowed since CP-2301, e.g. binary SEG): one segment holding the frame bit-packed as in
 * native encoding (PS3.5 8.1.1: first pixel in the least significant bit), ceil(rows x columns / 8) bytes.
 */
function decodeBitPlane(frame: Uint8Array, header: DataView, pixels: number, frameNumber: number): Uint8Array {
  const start = header.getUint32(4, true);
  if (start < 64 || start > frame.length) throw invalidDicom(`frame ${frameNumber}: RLE segment 1 starts at ${start}, outside the ${frame.length}-byte frame`);
  const packed = new Uint8Array(Math.ceil(pixels / 8));
  unpackBits(frame.subarray(start), packed, frameNumber, 1);
  const out = new Uint8Array(pixels);
  for (let pixel = 0; pixel < pixels; pixel++) out[pixel] = (packed[pixel >>> 3]! >> (pixel & 7)) & 1;
  return out;
}

/** PackBits: n in 0..127 copies n + 1 literal bytes, -127..-1 repeats the next byte 1 - n times, -128 is a no-op. */
function unpackBits(source: Uint8Array, target: Uint8Array, frameNumber: number, segment: number): void {
  let read = 0;
  let written = 0;
  while (written < target.length && read < source.length) {
    const control = (source[read++]! << 24) >> 24;
    if (control >= 0) {
      const count = Math.min(control + 1, target.length - written, source.length - read);
      target.set(source.subarray(read, read + count), written);
      read += control + 1;
      written += count;
    } else if (control !== -128) {
      if (read >= source.length) break;
      const count = Math.min(1 - control, target.length - written);
      target.fill(source[read++]!, written, written + count);
      written += count;
    }
  }
  if (written < target.length) throw invalidDicom(`frame ${frameNumber}: RLE segment ${segment} decodes to ${written} bytes, ${target.length} expected`);
}
