import { DATATYPES, datatypeFromOrt, type NumericArray } from '../tensor/datatypes.js';
import type { Tensor } from '../tensor/tensor.js';
import { ClinferError } from '../errors/index.js';
import type { WireTensor } from './messages.js';

export function toWire(tensor: Tensor): WireTensor {
  const type = DATATYPES[tensor.datatype].ort;
  const data = tensor.datatype === 'BYTES'
    ? (tensor.data as Uint8Array[]).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'))
    : (tensor.data as NumericArray);
  return { name: tensor.name, type, dims: [...tensor.shape], data };
}

export function fromWire(wire: WireTensor): Tensor {
  const datatype = datatypeFromOrt(wire.type);
  if (!datatype) throw new ClinferError('INFERENCE_FAILED', `output '${wire.name}' has element type ${wire.type}, which clinfer cannot return`);
  const data = Array.isArray(wire.data) ? wire.data.map((s) => Buffer.from(s, 'utf8')) : wire.data;
  return { name: wire.name, datatype, shape: wire.dims, data };
}
