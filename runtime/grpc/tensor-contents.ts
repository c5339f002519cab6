import { invalidInput } from '../errors/index.js';
import { DATATYPES, isDatatype, type Datatype, type NumericArray } from '../tensor/datatypes.js';

/** InferTensorContents as @grpc/proto-loader decodes it (longs as strings, bytes as Buffers). */
export interface TensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: (string | number)[];
  uint_contents?: number[];
  uint64_contents?: (string | number)[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

const FIELD: Record<Exclude<Datatype, 'FP16'>, keyof TensorContents> = {
  BOOL: 'bool_contents', INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

/**
 * Turns typed `contents` into the bytes of the binary tensor data extension, so that gRPC requests go
 * through the very same validation and decoding as HTTP ones. Range checks happen by the typed array's
 * own conversion being compared back to the value. Numeric values: the bytes are those of a fresh typed
 * array (offset 0, so they decode as a view of it, without a second copy).
 */
export function contentsToBytes(name: string, datatype: string, shape: readonly number[], contents: TensorContents | undefined): Uint8Array {
  if (!isDatatype(datatype)) return new Uint8Array(0); // the shared validation names the bad datatype
  if (datatype === 'FP16') throw invalidInput(`input '${name}': FP16 has no typed contents field; send it in raw_input_contents`);
  const raw = contents?.[FIELD[datatype]];
  const values = (Array.isArray(raw) ? raw : []) as unknown[];
  const expected = shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw invalidInput(`input '${name}': contents.${FIELD[datatype]} holds ${values.length} elements, shape [${shape.join(',')}] needs ${expected}`);
  }
  if (datatype === 'BYTES') {
    return Buffer.concat(values.flatMap((b, i) => {
      if (!(b instanceof Uint8Array) && typeof b !== 'string') throw invalidInput(`input '${name}': bytes_contents element ${i} is not bytes`);
      const bytes = Buffer.from(b as Uint8Array);
      const n = Buffer.alloc(4);
      n.writeUInt32LE(bytes.byteLength);
      return [n, bytes];
    }));
  }
  const out = DATATYPES[datatype].make(values.length) as NumericArray;
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  values.forEach((v, i) => {
    let value: number | bigint;
    try {
      value = big ? BigInt(v as string) : datatype === 'BOOL' ? (v ? 1 : 0) : Number(v);
    } catch {
      throw invalidInput(`input '${name}': element ${i} is not an integer for ${datatype}`);
    }
    if (typeof value === 'number' && Number.isNaN(value) && datatype !== 'FP32' && datatype !== 'FP64') {
      throw invalidInput(`input '${name}': element ${i} is not a number for ${datatype}`);
    }
    (out as unknown as (number | bigint)[])[i] = value;
    if (!big && datatype !== 'FP32' && datatype !== 'FP64' && datatype !== 'BOOL' && out[i] !== value) {
      throw invalidInput(`input '${name}': element ${i} (${String(v)}) is out of ${datatype} range`);
    }
    if (big && out[i] !== value) throw invalidInput(`input '${name}': element ${i} (${String(v)}) is out of ${datatype} range`);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
