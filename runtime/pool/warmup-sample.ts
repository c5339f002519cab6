import type { ValueInfo, WireTensor } from './messages.js';
import { DATATYPES, datatypeFromOrt, type OrtType } from '../tensor/datatypes.js';

/**
 * One input of a declared warm-up sample, as the worker receives it: a file of the version folder
 * (absolute path, checked to exist by the main thread) or inline values, and the shape to feed.
 * A `.npy` file carries its own dtype and shape, which must agree with the graph and `shape`;
 * any other file is raw little-endian elements of the graph input's type.
 */
export interface WarmupSampleInput {
  shape: number[];
  /** The name written in bundle.json, for messages. */
  fileName?: string;
  path?: string;
  data?: (number | boolean | string)[];
}

/** numpy dtype strings (little-endian or byte-order-free) of each ONNX Runtime element type. */
const NPY_DESCR: Partial<Record<OrtType, readonly string[]>> = {
  float32: ['<f4'], float64: ['<f8'], float16: ['<f2'],
  int8: ['|i1', '<i1'], int16: ['<i2'], int32: ['<i4'], int64: ['<i8'],
  uint8: ['|u1', '<u1'], uint16: ['<u2'], uint32: ['<u4'], uint64: ['<u8'],
  bool: ['|b1', '<b1'],
};

/** Decodes one sample input into a feed of the graph input's type; throws an Error naming what is wrong. */
export function decodeSampleInput(input: ValueInfo, given: WarmupSampleInput, readFile: (path: string) => Buffer): WireTensor {
  const type = (input.type ?? 'float32') as OrtType;
  const where = `input '${input.name}'`;
  const graphShape = input.shape ?? [];
  if (graphShape.length !== given.shape.length) {
    throw new Error(`${where}: shape [${given.shape.join(',')}] has rank ${given.shape.length}, the graph's is ${graphShape.length} ([${graphShape.join(',')}])`);
  }
  graphShape.forEach((d, k) => {
    if (typeof d === 'number' && d >= 0 && given.shape[k] !== d) throw new Error(`${where}: dimension ${k} is ${given.shape[k]}, the graph fixes it at ${d}`);
  });
  const n = given.shape.reduce((a, b) => a * b, 1);
  const dims = [...given.shape];
  if (given.data) {
    if (given.data.length !== n) throw new Error(`${where}: data holds ${given.data.length} values, shape [${dims.join(',')}] needs ${n}`);
    return { name: input.name, type, dims, data: fromValues(type, given.data, where) };
  }
  let bytes = readFile(given.path!);
  const label = `${where}: file '${given.fileName}'`;
  if (given.fileName!.toLowerCase().endsWith('.npy')) {
    const npy = parseNpy(bytes, label);
    if (!(NPY_DESCR[type] ?? []).includes(npy.descr)) throw new Error(`${label} holds dtype '${npy.descr}', the graph input is ${type} (${NPY_DESCR[type]?.[0] ?? 'not loadable from .npy'})`);
    if (npy.shape.join(',') !== dims.join(',')) throw new Error(`${label} has shape [${npy.shape.join(',')}], the sample declares [${dims.join(',')}]`);
    bytes = npy.data;
  }
  if (type === 'string') throw new Error(`${where}: a STRING input takes inline data, not a file`);
  const datatype = datatypeFromOrt(type)!;
  const size = DATATYPES[datatype].size;
  if (bytes.byteLength !== n * size) throw new Error(`${label} holds ${bytes.byteLength} bytes, shape [${dims.join(',')}] of ${type} needs ${n * size}`);
  // Copy into a fresh, aligned buffer (a Buffer may be a view into a shared pool at any offset).
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return { name: input.name, type, dims, data: DATATYPES[datatype].fromBytes(copy.buffer, 0, n)! };
}

function fromValues(type: OrtType, values: readonly (number | boolean | string)[], where: string): WireTensor['data'] {
  if (type === 'string') {
    if (!values.every((v) => typeof v === 'string')) throw new Error(`${where}: data must be strings for a string input`);
    return [...(values as string[])];
  }
  if (type === 'bool') return Uint8Array.from(values, (v) => (v === true || v === 1 ? 1 : 0));
  const numbers = values.map((v, i) => {
    if (typeof v !== 'number') throw new Error(`${where}: data[${i}] is ${JSON.stringify(v)}, expected a number for ${type}`);
    if (!type.startsWith('float') && !Number.isInteger(v)) throw new Error(`${where}: data[${i}] is ${v}, expected an integer for ${type}`);
    return v;
  });
  if (type === 'int64') return BigInt64Array.from(numbers, (v) => BigInt(v));
  if (type === 'uint64') return BigUint64Array.from(numbers, (v) => BigInt(v));
  if (type === 'float16') throw new Error(`${where}: a float16 input takes a file (.npy or raw), not inline data`);
  const datatype = datatypeFromOrt(type)!;
  const out = DATATYPES[datatype].make(numbers.length)! as Exclude<WireTensor['data'], string[] | BigInt64Array | BigUint64Array>;
  out.set(numbers);
  return out;
}

/** Reads a version 1-3 .npy file (C order only); its data is a view into `bytes`. */
export function parseNpy(bytes: Buffer, label: string): { descr: string; shape: number[]; data: Buffer } {
  if (bytes.byteLength < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${label} is not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${label} has an unreadable .npy header`);
  if (fortran === 'True') throw new Error(`${label} is in Fortran order; save it in C order (numpy.ascontiguousarray)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { descr, shape, data: bytes.subarray(start + headerLength) };
}
