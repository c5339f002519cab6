import { invalidInput } from '../errors/index.js';
import { DATATYPES, type Datatype, type NumericArray, type TensorValues } from '../tensor/datatypes.js';

/**
 * Reads one tensor's bytes from the binary tensor data extension. The bytes are copied into a fresh,
 * aligned buffer that the tensor owns (it is later transferred to a worker thread).
 */
export function decodeBinaryData(name: string, datatype: Datatype, count: number, bytes: Uint8Array): TensorValues {
  if (datatype === 'BYTES') return decodeBytesElements(name, count, bytes);
  const size = DATATYPES[datatype].size;
  if (bytes.byteLength !== count * size) {
    throw invalidInput(`input '${name}': binary data holds ${bytes.byteLength} bytes, ${count} ${datatype} elements need ${count * size}`);
  }
  const out = DATATYPES[datatype].make(count) as NumericArray;
  new Uint8Array(out.buffer).set(bytes);
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
