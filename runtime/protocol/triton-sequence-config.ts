import type { ControlKind, SequenceSpec } from '../model/sequence-spec.js';
import type { Datatype } from '../tensor/datatypes.js';

/** Triton's ModelSequenceBatching, as far as clinfer's sequence batcher is described by it (model_config.proto). */
export interface TritonSequenceBatching {
  max_sequence_idle_microseconds: number;
  control_input: { name: string; control: TritonControl[] }[];
  state: { input_name: string; output_name: string; data_type: string; dims: number[]; initial_state: { name: string; data_type: string; dims: number[]; zero_data: true }[] }[];
  /** Oldest first across sequences, any batch slot: what the SequenceBatcher in front of the DynamicBatcher does. */
  oldest: { max_candidate_sequences: number; preferred_batch_size: number[]; max_queue_delay_microseconds: number; preserve_ordering: boolean };
}

interface TritonControl {
  kind: string;
  int32_false_true?: number[];
  fp32_false_true?: number[];
  bool_false_true?: boolean[];
  data_type?: string;
}

const KINDS: Record<ControlKind, string> = {
  start: 'CONTROL_SEQUENCE_START', end: 'CONTROL_SEQUENCE_END', ready: 'CONTROL_SEQUENCE_READY', correlation_id: 'CONTROL_SEQUENCE_CORRID',
};

function control(kind: ControlKind, datatype: Datatype, tritonType: string): TritonControl {
  if (kind === 'correlation_id') return { kind: KINDS[kind], data_type: tritonType };
  if (datatype === 'BOOL') return { kind: KINDS[kind], bool_false_true: [false, true] };
  if (datatype === 'FP32' || datatype === 'FP64') return { kind: KINDS[kind], fp32_false_true: [0, 1] };
  return { kind: KINDS[kind], int32_false_true: [0, 1] };
}

export function tritonSequenceBatching(
  spec: SequenceSpec,
  scheduling: { preferredBatchSizes: readonly number[]; maxQueueDelayMs: number },
  batching: boolean,
  tritonDataType: (d: Datatype) => string,
): TritonSequenceBatching {
  const dims = (shape: readonly number[]) => (batching ? shape.slice(1) : [...shape]);
  return {
    max_sequence_idle_microseconds: spec.idleTimeoutMs * 1000,
    control_input: spec.controls.map((c) => ({ name: c.input.name, control: [control(c.kind, c.input.datatype, tritonDataType(c.input.datatype))] })),
    state: spec.states.map((s) => ({
      input_name: s.input.name, output_name: s.output, data_type: 'TYPE_FP32', dims: dims(s.shape),
      // Triton describes zeros only (or a file): a non-zero initial value is clinfer's bundle field alone.
      initial_state: s.initial.every((v) => v === 0) ? [{ name: 'zeros', data_type: 'TYPE_FP32', dims: dims(s.shape), zero_data: true }] : [],
    })),
    oldest: {
      max_candidate_sequences: spec.maxSequences,
      preferred_batch_size: [...scheduling.preferredBatchSizes],
      max_queue_delay_microseconds: Math.round(scheduling.maxQueueDelayMs * 1000),
      preserve_ordering: false,
    },
  };
}
