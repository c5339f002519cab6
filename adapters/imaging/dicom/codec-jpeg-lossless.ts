import { Decoder } from 'jpeg-lossless-decoder-js';
import type { DecodedFrame } from './codec-output.js';
import type { CodestreamHeader } from './codestream-header.js';

/** ISO 10918 process 14 (lossless, any selection value) with jpeg-lossless-decoder-js; no colour transform. */
export function decodeJpegLossless(frame: Uint8Array, header: CodestreamHeader): DecodedFrame {
  const decoder = new Decoder();
  const bytesPerSample = header.precision > 8 ? 2 : 1;
  const padded = padBeforeEndOfImage(frame);
  const decoded = decoder.decode(padded.buffer, 0, padded.byteLength, bytesPerSample);
  const data = bytesPerSample === 2 ? new Uint16Array(decoded.buffer, decoded.byteOffset, decoded.length) : new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
  return {
    width: decoder.xDim,
    height: decoder.yDim,
    components: decoder.numComp,
    bitsPerSample: header.precision,
    data,
    colorTransformed: false,
  };
}

/**
 * A copy of the frame with four zero bytes before its EOI marker. jpeg-lossless-decoder-js 2.1.2 takes
 * the EOI for a marker inside the last sample's Huffman code when that code runs past the last byte
 * boundary, and leaves the last sample 0 (seen on CTImage 1.2.840.10008.1.2.4.70: pixel 262143 0
 * instead of -2000). Bits after the last sample are ignored, so zero bytes there are harmless. The
 * copy also gives the decoder a buffer of its own, as it reads through a DataView of the whole buffer.
 */
function padBeforeEndOfImage(frame: Uint8Array): Uint8Array {
  let end = frame.length;
  while (end > 2 && frame[end - 1] === 0) end--; // fragment padding after EOI
  const hasEoi = end >= 2 && frame[end - 2] === 0xff && frame[end - 1] === 0xd9;
  const cut = hasEoi ? end - 2 : frame.length;
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, cut), 0);
  out.set(frame.subarray(cut), cut + 4);
  return out;
}
