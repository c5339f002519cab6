import { invalidInput, ClinferError } from '../errors/index.js';
import { DATATYPES, elementCount, type Datatype, type NumericArray, type TensorValues } from '../tensor/datatypes.js';
import { decodeFloat16 } from '../tensor/float16.js';

const INTEGER_RANGE: Partial<Record<Datatype, [number | bigint, number | bigint]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0n, 18446744073709551615n],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [-9223372036854775808n, 9223372036854775807n],
};

/**
 * Flattens `data` (flat, or nested to match `shape`) into values of `datatype`.
 * Throws INVALID_INPUT naming the input and the first offending element.
 */
export function decodeJsonData(name: string, datatype: Datatype, shape: readonly number[], data: unknown): TensorValues {
  // Triton answers this as an invalid argument (400): the request is wrong, not the server lacking a feature.
  if (datatype === 'FP16') throw invalidInput(`input '${name}': FP16 cannot be sent as JSON; send it with the binary tensor data extension`);
  if (!Array.isArray(data)) throw invalidInput(`input '${name}': 'data' must be an array`);
  const expected = elementCount(shape);
  const flat = flatten(name, data, shape);
  if (flat.length !== expected) {
    throw invalidInput(
      `input '${name}': data holds ${flat.length} elements, shape [${shape.join(',')}] needs ${expected}`,
    );
  }
  if (datatype === 'BYTES') {
    return flat.map((v, i) => {
      if (typeof v !== 'string') throw badElement(name, i, 'a string', v);
      return Buffer.from(v, 'utf8');
    });
  }
  const out = DATATYPES[datatype].make(expected) as NumericArray;
  if (datatype === 'BOOL') {
    for (let i = 0; i < expected; i++) {
      const v = flat[i];
      if (typeof v !== 'boolean') throw badElement(name, i, 'true or false', v);
      (out as Uint8Array)[i] = v ? 1 : 0;
    }
    return out;
  }
  const range = INTEGER_RANGE[datatype];
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  for (let i = 0; i < expected; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badElement(name, i, 'a finite number', v);
    if (range) {
      if (!Number.isInteger(v)) throw badElement(name, i, `an integer for ${datatype}`, v);
      if (big ? BigInt(v) < (range[0] as bigint) || BigInt(v) > (range[1] as bigint) : v < (range[0] as number) || v > (range[1] as number)) {
        throw badElement(name, i, `a value in ${datatype} range [${range[0]}, ${range[1]}]`, v);
      }
    }
    if (big) (out as BigInt64Array)[i] = BigInt(v);
    else (out as Float32Array)[i] = v;
  }
  return out;
}

function flatten(name: string, data: unknown[], shape: readonly number[]): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (!Array.isArray(node)) {
      if (depth !== shape.length) throw invalidInput(`input '${name}': nested data at ${path || 'top level'} is not an array of depth ${shape.length}`);
      out.push(node);
      return;
    }
    if (depth >= shape.length) throw invalidInput(`input '${name}': nested data at ${path} is deeper than shape [${shape.join(',')}]`);
    if (node.length !== shape[depth]) {
      throw invalidInput(`input '${name}': nested data at ${path || 'top level'} has ${node.length} elements, dimension ${depth} of shape [${shape.join(',')}] is ${shape[depth]}`);
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  return out;
}

function badElement(name: string, index: number, expected: string, got: unknown): ClinferError {
  const shown = typeof got === 'string' ? 'a string' : JSON.stringify(got) ?? String(got);
  return invalidInput(`input '${name}': element ${index} must be ${expected}, got ${shown.slice(0, 40)}`);
}

/** Turns tensor values into JSON data (flat, row-major). 64-bit integers beyond 2^53 lose precision, as in Triton. */
export function encodeJsonData(datatype: Datatype, values: TensorValues): unknown[] {
  if (datatype === 'BYTES') return (values as Uint8Array[]).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));
  if (datatype === 'BOOL') return Array.from(values as Uint8Array, (v) => v !== 0);
  if (datatype === 'FP16') return Array.from(values as Uint16Array, decodeFloat16);
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Array.from(values, Number);
  return Array.from(values as Float32Array);
}
