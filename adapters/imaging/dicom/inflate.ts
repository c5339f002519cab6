import { Inflate } from 'fflate';
import { ImagingInputError } from '../raster.js';
import { describeThrown, imageTooLarge, invalidDicom } from './errors.js';

/** DEFLATE expands at most ~1032:1, so a push of n input bytes yields at most ~1032 n output bytes. */
const MAX_RATIO = 1032;
const MIN_CHUNK = 4096;
const MAX_CHUNK = 1 << 20;

/**
 * Inflates a raw DEFLATE stream (the data set of Deflated Explicit VR Little Endian, PS3.5 A.5) and stops
 * with IMAGE_TOO_LARGE as soon as the output passes `maxBytes`, so a deflate bomb never expands beyond
 * the cap plus at most ~4 MiB. Input goes in slices sized so that even at the maximum ratio one slice
 * cannot carry the output far past the cap: large while far below it, 4 KiB near it.
 */
export function inflateBounded(deflated: Uint8Array, maxBytes: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((data) => {
    total += data.length;
    if (total > maxBytes) throw imageTooLarge(`the deflated data set inflates to more than ${maxBytes} bytes (limit maxDecodedBytes)`);
    if (data.length) chunks.push(data);
  });
  try {
    for (let offset = 0; offset < deflated.length; ) {
      const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.floor((maxBytes - total) / MAX_RATIO)));
      const end = Math.min(offset + chunk, deflated.length);
      inflater.push(deflated.subarray(offset, end), end === deflated.length);
      offset = end;
    }
    if (deflated.length === 0) inflater.push(deflated, true);
  } catch (error) {
    if (error instanceof ImagingInputError) throw error;
    throw invalidDicom(`the deflated data set cannot be inflated: ${describeThrown(error)}`);
  }
  const out = new Uint8Array(total);
  let position = 0;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.length;
  }
  return out;
}
