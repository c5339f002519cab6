import type { DecodedFrame } from './codec-output.js';
import { decodedFrame, decodeWithWasm } from './codec-wasm.js';

/**
 * ISO 15444-1 (JPEG 2000) with OpenJPEG and ISO 15444-15 (HTJ2K) with OpenJPH. Both apply the inverse
 * multi-component transform (YBR_RCT / YBR_ICT) themselves when the codestream's COD marker asks for it,
 * and then deliver RGB.
 */
export async function decodeJpeg2000(frame: Uint8Array, highThroughput: boolean, multiComponentTransform: boolean): Promise<DecodedFrame> {
  const result = highThroughput
    ? await decodeWithWasm('openjph', 'HTJ2KDecoder', frame, () => undefined)
    : await decodeWithWasm('openjpeg', 'J2KDecoder', frame, () => undefined);
  return decodedFrame(result, result.components === 3 && multiComponentTransform);
}
