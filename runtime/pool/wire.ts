import { DATATYPES, datatypeFromOrt, type NumericArray } from '../tensor/datatypes.js';
import type { Tensor } from '../tensor/tensor.js';
import { ClinferError } from '../errors/index.js';
import type { WireTensor } from './messages.js';
import { sharedParts } from '../tensor/shared-batch.js';

export function toWire(tensor: Tensor): WireTensor {
  const type = DATATYPES[tensor.datatype].ort;
  // A batch whose rows lie in shared memory: its parts go as they are; the worker joins them.
  const parts = sharedParts(tensor);
  if (parts) return { name: tensor.name, type, dims: [...tensor.shape], data: parts[0]!, rest: parts.slice(1) };
  const data = tensor.datatype === 'BYTES'
    ? (tensor.data as Uint8Array[]).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'))
    : (tensor.data as NumericArray);
  return { name: tensor.name, type, dims: [...tensor.shape], data };
}

/**
 * How an input tensor's values cross to a worker thread, at most one copy on this thread:
 * - in shared memory (a view into the HTTP body): as they are; the worker reads them in place (and makes
 *   the copy ONNX Runtime needs, which cannot read shared memory, on its own thread);
 * - a buffer the tensor owns whole: moved (added to `transfer`), unless the caller keeps it (`preserve`);
 * - a view into a larger buffer (a gRPC message, a Buffer pool slab), or a buffer already moved: copied,
 *   and the copy moved. Moving the larger buffer would detach bytes others still use, and cloning it
 *   would copy all of it.
 */
export function handOver(data: NumericArray, preserve: boolean, transfer: Set<ArrayBuffer>): NumericArray {
  const buffer = data.buffer;
  if (buffer instanceof SharedArrayBuffer) return data;
  const whole = data.byteOffset === 0 && data.byteLength === buffer.byteLength;
  const own = preserve || !whole || transfer.has(buffer as ArrayBuffer) ? data.slice() : data;
  transfer.add(own.buffer as ArrayBuffer);
  return own;
}

export function fromWire(wire: WireTensor): Tensor {
  const datatype = datatypeFromOrt(wire.type);
  if (!datatype) throw new ClinferError('INFERENCE_FAILED', `output '${wire.name}' has element type ${wire.type}, which clinfer cannot return`);
  const data = Array.isArray(wire.data) ? wire.data.map((s) => Buffer.from(s, 'utf8')) : wire.data;
  return { name: wire.name, datatype, shape: wire.dims, data };
}
