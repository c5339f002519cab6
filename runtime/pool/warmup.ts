import type { ValueInfo, WireTensor } from './messages.js';
import type { OrtType } from '../tensor/datatypes.js';

/** Dynamic dimensions other than the batch get this size during warm-up (small, valid for most convnets). */
const WARMUP_DYNAMIC_DIM = 32;

/** Zero-filled feeds for one warm-up run: `shapes` wins, else dynamic dims become 1 (batch) or 32. */
export function warmupFeeds(inputs: ValueInfo[], shapes: Record<string, number[]>): WireTensor[] {
  return inputs.map((input) => {
    const dims =
      shapes[input.name] ??
      (input.shape ?? []).map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? 1 : WARMUP_DYNAMIC_DIM));
    const n = dims.reduce((a, b) => a * b, 1);
    const type = (input.type ?? 'float32') as OrtType;
    return { name: input.name, type, dims, data: zeros(type, n) };
  });
}

function zeros(type: OrtType, n: number): WireTensor['data'] {
  switch (type) {
    case 'string': return new Array<string>(n).fill('');
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': case 'float16': return new Uint16Array(n);
    case 'int8': return new Int8Array(n);
    default: return new Uint8Array(n);
  }
}
