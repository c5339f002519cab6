import { tritonSequenceBatching, type TritonSequenceBatching } from './triton-sequence-config.js';
import { basename } from 'node:path';
import type { VersionPolicy } from '../repository/version-policy.js';
import type { Datatype } from '../tensor/datatypes.js';
import { PRIORITY_LEVELS, DEFAULT_PRIORITY, type ModelConfig } from '../model/model-config.js';
import type { TensorSpec } from '../model/tensor-spec.js';

/**
 * A model version's configuration in Triton's form (model_config.proto as JSON, field names kept,
 * enums as their names): what `GET /v2/models/{m}/config` answers and, field for field, what the gRPC
 * ModelConfigResponse carries (@grpc/proto-loader encodes this very object).
 */
export interface TritonModelConfig {
  name: string;
  platform: 'onnxruntime_onnx';
  backend: 'onnxruntime';
  version_policy: { latest: { num_versions: number } } | { all: Record<string, never> } | { specific: { versions: number[] } };
  max_batch_size: number;
  input: { name: string; data_type: string; format: 'FORMAT_NONE'; dims: number[]; is_shape_tensor: false; allow_ragged_batch: false; optional: false }[];
  output: { name: string; data_type: string; dims: number[]; label_filename: string; is_shape_tensor: false }[];
  sequence_batching?: TritonSequenceBatching;
  dynamic_batching?: {
    preferred_batch_size: number[];
    max_queue_delay_microseconds: number;
    preserve_ordering: boolean;
    priority_levels: number;
    default_priority_level: number;
    default_queue_policy: { timeout_action: 'REJECT'; default_timeout_microseconds: number; allow_timeout_override: true; max_queue_size: number };
  };
  instance_group: { name: string; kind: 'KIND_CPU' | 'KIND_GPU'; count: number; gpus: number[] }[];
  default_model_filename: string;
  optimization: { execution_accelerators: { gpu_execution_accelerator: Accelerator[]; cpu_execution_accelerator: Accelerator[] } };
  parameters: Record<string, { string_value: string }>;
}
interface Accelerator { name: string; parameters: Record<string, string> }

/** Triton's TYPE_* for a protocol datatype (BYTES is TYPE_STRING there). */
export function tritonDataType(datatype: Datatype): string {
  return datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`;
}

/** Triton leaves the batch dimension out of `dims` when the model batches (max_batch_size > 0). */
function dims(spec: TensorSpec, batching: boolean): number[] {
  return batching ? spec.shape.slice(1) : [...spec.shape];
}

/** Execution providers Triton's onnxruntime backend names as accelerators (CUDA and CPU are its instance kinds). */
const GPU_ACCELERATORS: Record<string, string> = { tensorrt: 'tensorrt' };
const CPU_ACCELERATORS: Record<string, string> = { openvino: 'openvino' };

export interface TritonConfigFacts {
  readonly versionPolicy: VersionPolicy;
  /** The ONNX file the sessions were made from. */
  readonly modelPath: string | undefined;
  readonly intraOpThreads: number | undefined;
}

export function tritonModelConfig(c: ModelConfig, facts: TritonConfigFacts): TritonModelConfig {
  const batching = c.maxBatchSize > 0;
  const policy = facts.versionPolicy;
  const gpu = c.provider === 'cuda' || c.provider === 'tensorrt';
  const s = c.scheduling;
  return {
    name: c.name,
    platform: c.platform,
    backend: 'onnxruntime',
    version_policy: 'latest' in policy ? { latest: { num_versions: policy.latest } }
      : 'all' in policy ? { all: {} }
      : { specific: { versions: policy.specific.map(Number) } },
    max_batch_size: c.maxBatchSize,
    input: c.inputs.map((t) => ({ name: t.name, data_type: tritonDataType(t.datatype), format: 'FORMAT_NONE', dims: dims(t, batching), is_shape_tensor: false, allow_ragged_batch: false, optional: false })),
    output: c.outputs.map((t) => ({ name: t.name, data_type: tritonDataType(t.datatype), dims: dims(t, batching), label_filename: '', is_shape_tensor: false })),
    // A stateful model shows sequence_batching instead (Triton's scheduling_choice is one or the other).
    ...(c.sequence ? { sequence_batching: tritonSequenceBatching(c.sequence, s, batching, tritonDataType) } : {}),
    // Triton shows dynamic_batching only for a model that batches; clinfer's queue policy applies either way.
    ...(batching && !c.sequence ? {
      dynamic_batching: {
        preferred_batch_size: [...s.preferredBatchSizes],
        max_queue_delay_microseconds: Math.round(s.maxQueueDelayMs * 1000),
        preserve_ordering: false,
        priority_levels: PRIORITY_LEVELS,
        default_priority_level: DEFAULT_PRIORITY,
        default_queue_policy: { timeout_action: 'REJECT', default_timeout_microseconds: Math.round(s.defaultTimeoutMs * 1000), allow_timeout_override: true, max_queue_size: s.maxQueueSize },
      },
    } : {}),
    instance_group: [{ name: c.name, kind: gpu ? 'KIND_GPU' : 'KIND_CPU', count: c.instances, gpus: gpu ? [0] : [] }],
    default_model_filename: facts.modelPath ? basename(facts.modelPath) : 'model.onnx',
    optimization: {
      execution_accelerators: {
        gpu_execution_accelerator: GPU_ACCELERATORS[c.provider] ? [{ name: GPU_ACCELERATORS[c.provider]!, parameters: {} }] : [],
        cpu_execution_accelerator: CPU_ACCELERATORS[c.provider] ? [{ name: CPU_ACCELERATORS[c.provider]!, parameters: {} }] : [],
      },
    },
    parameters: {
      ...(facts.intraOpThreads ? { intra_op_thread_count: { string_value: String(facts.intraOpThreads) } } : {}),
      // clinfer's own, for traceability and for the queue when the model does not batch:
      execution_provider: { string_value: c.provider },
      bundle_digest: { string_value: c.digest },
      ...(batching && !c.sequence ? {} : { max_queue_size: { string_value: String(s.maxQueueSize) } }),
    },
  };
}
