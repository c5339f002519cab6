import { ClinferError } from '../errors/index.js';
import type { ControlSpec, SequenceSpec, StateSpec } from '../model/sequence-spec.js';
import { DATATYPES, type NumericArray } from '../tensor/datatypes.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SequenceFlags } from './scheduler.js';

/** One sequence's state between requests: one FP32 array per declared state, in declaration order. */
export type SequenceState = Float32Array[];

export function initialState(spec: SequenceSpec): SequenceState {
  return spec.states.map((s) => Float32Array.from(s.initial));
}

/**
 * The state tensors fed with a request. Each is a copy: the batcher may hand a lone request's buffers
 * to the worker (transfer), and the sequence keeps its state until the answer replaces it.
 */
export function stateTensors(spec: SequenceSpec, state: SequenceState): Tensor[] {
  return spec.states.map((s, i) => ({ name: s.input.name, datatype: 'FP32', shape: s.shape, data: state[i]!.slice() }));
}

/** The control tensors of one request: start, end, ready (1 or 0) and the correlation id. */
export function controlTensors(spec: SequenceSpec, flags: SequenceFlags): Tensor[] {
  return spec.controls.map((c) => {
    const value = c.kind === 'start' ? Number(flags.start) : c.kind === 'end' ? Number(flags.end) : c.kind === 'ready' ? 1 : flags.id as number;
    const data = DATATYPES[c.input.datatype].make(1) as NumericArray;
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) data[0] = BigInt(value);
    else (data as Float32Array)[0] = value;
    return { name: c.input.name, datatype: c.input.datatype, shape: c.shape, data };
  });
}

/** Largest sequence id a correlation-id input of this datatype holds exactly. */
const EXACT_ID_LIMIT: Partial<Record<string, number>> = {
  INT8: 127, UINT8: 255, INT16: 32_767, UINT16: 65_535, INT32: 2_147_483_647, UINT32: 4_294_967_295, FP32: 16_777_216,
};

/** A sequence id the model's correlation-id input cannot hold is refused, not rounded. */
export function checkCorrelationId(spec: SequenceSpec, what: string, flags: SequenceFlags): void {
  const c: ControlSpec | undefined = spec.controls.find((k) => k.kind === 'correlation_id');
  if (!c) return;
  const limit = EXACT_ID_LIMIT[c.input.datatype] ?? Number.MAX_SAFE_INTEGER;
  if (typeof flags.id !== 'number' || flags.id > limit) {
    throw new ClinferError('INVALID_PARAMETER', `parameter 'sequence_id': ${what} passes the id to input '${c.input.name}' (${c.input.datatype}), which needs an integer from 1 to ${limit}; got ${typeof flags.id === 'number' ? 'a larger one' : 'a string'}`);
  }
}

/** The next state from a request's outputs; the state outputs are taken out of what the client gets. */
export function takeState(spec: SequenceSpec, what: string, outputs: readonly Tensor[]): { state: SequenceState; outputs: Tensor[] } {
  const state = spec.states.map((s: StateSpec) => {
    const out = outputs.find((o) => o.name === s.output);
    if (!out || !(out.data instanceof Float32Array) || out.data.length !== s.initial.length) {
      throw new ClinferError('INFERENCE_FAILED', `${what}: state output '${s.output}' came back with ${out ? out.data.length : 'no'} values, the state of input '${s.input.name}' holds ${s.initial.length}; the sequence keeps its previous state`);
    }
    return out.data;
  });
  const stateOutputs = new Set(spec.states.map((s) => s.output));
  return { state, outputs: outputs.filter((o) => !stateOutputs.has(o.name)) };
}
