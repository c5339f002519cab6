import { interleave } from './native-frame.js';
import type { DecodedFrame } from './codec-output.js';
import { decodeWithWasm, samplesOf } from './codec-wasm.js';

/** ISO 14495-1 (JPEG-LS, lossless and near-lossless) with CharLS. Interleave mode 0 (by plane) comes back planar. */
export async function decodeJpegLs(frame: Uint8Array): Promise<DecodedFrame> {
  const result = await decodeWithWasm('charls', 'JpegLSDecoder', frame, (decoder) => ({
    interleaveMode: (decoder.getInterleaveMode as () => number).call(decoder),
  }));
  let data = samplesOf(result.bytes, result.bitsPerSample);
  if (result.components === 3 && result.extra.interleaveMode === 0) data = interleave(data, result.width * result.height) as Uint8Array | Uint16Array;
  return { width: result.width, height: result.height, components: result.components, bitsPerSample: result.bitsPerSample, data, colorTransformed: false };
}
