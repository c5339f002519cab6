import { invalidRequest } from '../errors/index.js';

/** Deepest nesting accepted in a JSON request body: an infer request needs 4 levels plus its tensors' rank. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses a JSON text nested deeper than `maxDepth` before it is parsed: JSON.parse of 60 MB of `[[[[...`
 * holds a thread for 20 s and builds millions of arrays that flattening would then recurse through.
 * One linear pass over the bytes, no allocation; brackets inside strings do not count.
 */
export function checkJsonDepth(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH, expected = 'tensor data nests only as deep as its shape'): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next byte (\" does not end the string)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) throw invalidRequest(`the request body nests JSON deeper than ${maxDepth} levels (at byte ${i}); ${expected}`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}
