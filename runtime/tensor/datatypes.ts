/**
 * The Open Inference Protocol datatypes and their ONNX Runtime counterparts.
 * FP16 travels only as raw binary (JSON has no half floats); BF16 is not supported by onnxruntime-node.
 */
export type Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64'
  | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

export type OrtType =
  | 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float16' | 'float32' | 'float64' | 'string';

export type NumericArray =
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Float32Array | Float64Array;

/** Tensor contents: a typed array, or strings for BYTES (each a Buffer, so that binary blobs survive). */
export type TensorValues = NumericArray | Uint8Array[];

interface DatatypeInfo {
  ort: OrtType;
  /** bytes per element in the binary extension; 0 for BYTES (length-prefixed). */
  size: number;
  make: (length: number) => NumericArray | undefined;
  fromBytes: (buffer: ArrayBuffer, offset: number, length: number) => NumericArray | undefined;
  /** 'number', 'bigint' or 'boolean': what JSON data elements must be. */
  json: 'number' | 'integer' | 'boolean' | 'string' | 'none';
}

const info = (
  ort: OrtType,
  size: number,
  ctor: (new (n: number) => NumericArray) & { new (b: ArrayBuffer, o: number, n: number): NumericArray },
  json: DatatypeInfo['json'],
): DatatypeInfo => ({
  ort,
  size,
  make: (n) => new ctor(n),
  fromBytes: (b, o, n) => new ctor(b, o, n),
  json,
});

export const DATATYPES: Readonly<Record<Datatype, DatatypeInfo>> = Object.freeze({
  BOOL: info('bool', 1, Uint8Array, 'boolean'),
  UINT8: info('uint8', 1, Uint8Array, 'integer'),
  UINT16: info('uint16', 2, Uint16Array, 'integer'),
  UINT32: info('uint32', 4, Uint32Array, 'integer'),
  UINT64: info('uint64', 8, BigUint64Array as never, 'integer'),
  INT8: info('int8', 1, Int8Array, 'integer'),
  INT16: info('int16', 2, Int16Array, 'integer'),
  INT32: info('int32', 4, Int32Array, 'integer'),
  INT64: info('int64', 8, BigInt64Array as never, 'integer'),
  FP16: info('float16', 2, Uint16Array, 'none'),
  FP32: info('float32', 4, Float32Array, 'number'),
  FP64: info('float64', 8, Float64Array, 'number'),
  BYTES: { ort: 'string', size: 0, make: () => undefined, fromBytes: () => undefined, json: 'string' },
});

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && Object.hasOwn(DATATYPES, value);
}

const BY_ORT = new Map<string, Datatype>(
  (Object.entries(DATATYPES) as [Datatype, DatatypeInfo][]).map(([dt, i]) => [i.ort, dt]),
);

/** Maps an ONNX Runtime element type to the protocol's datatype; undefined for types we cannot serve. */
export function datatypeFromOrt(ortType: string): Datatype | undefined {
  return BY_ORT.get(ortType);
}

/** Product of dims; the caller has already checked each dim is a non-negative integer. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
