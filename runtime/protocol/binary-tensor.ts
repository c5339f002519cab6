import { invalidInput } from '../errors/index.js';
import { DATATYPES, type Datatype, type NumericArray, type TensorValues } from '../tensor/datatypes.js';

/**
 * Reads one tensor's bytes from the binary tensor data extension. Ownership: the tensor is a view into
 * `bytes` (no copy) when they lie at an offset its element type can be read from; otherwise (a JSON
 * header of odd length before them, say) they are copied once into a fresh buffer the tensor owns. The
 * caller must not change `bytes` while the tensor lives; the worker pool copies a view before handing it
 * over (worker-pool.ts), so a view never takes its whole backing buffer with it.
 */
export function decodeBinaryData(name: string, datatype: Datatype, count: number, bytes: Uint8Array): TensorValues {
  if (datatype === 'BYTES') return decodeBytesElements(name, count, bytes);
  const { size } = DATATYPES[datatype];
  if (bytes.byteLength !== count * size) {
    throw invalidInput(`input '${name}': binary data holds ${bytes.byteLength} bytes, ${count} ${datatype} elements need ${count * size}`);
  }
  let out: NumericArray;
  if (bytes.byteOffset % size === 0) {
    out = DATATYPES[datatype].fromBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, count)!;
  } else {
    out = DATATYPES[datatype].make(count)!;
    new Uint8Array(out.buffer).set(bytes);
  }
  if (datatype === 'BOOL') {
    for (let i = 0; i < count; i++) if (out[i]! > 1) throw invalidInput(`input '${name}': BOOL element ${i} is ${out[i]}, expected 0 or 1`);
  }
  return out;
}

/** BYTES elements: each a 4-byte little-endian length followed by that many bytes. */
function decodeBytesElements(name: string, count: number, bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength) throw invalidInput(`input '${name}': binary BYTES data ends before element ${i} of ${count}`);
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.byteLength) throw invalidInput(`input '${name}': BYTES element ${i} claims ${length} bytes, only ${bytes.byteLength - at} remain`);
    out.push(bytes.slice(at, at + length));
    at += length;
  }
  if (at !== bytes.byteLength) throw invalidInput(`input '${name}': binary BYTES data has ${bytes.byteLength - at} bytes after its ${count} elements`);
  return out;
}

/** The bytes of a tensor for a binary response. */
export function encodeBinaryData(datatype: Datatype, values: TensorValues): Buffer {
  if (datatype === 'BYTES') {
    const parts: Buffer[] = [];
    for (const v of values as Uint8Array[]) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(v.byteLength);
      parts.push(length, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
    return Buffer.concat(parts);
  }
  const typed = values as NumericArray;
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
}
