import { ClinferError } from '../errors/index.js';

/**
 * What a load may change of a model's configuration (Triton's `parameters.config` on a load request,
 * in model_config.proto's JSON form). Anything else is refused, naming the field: a load that answers
 * 200 has applied every field it was given.
 */
export interface ConfigOverride {
  readonly maxBatchSize?: number;
  readonly preferredBatchSizes?: readonly number[];
  readonly maxQueueDelayUs?: number;
  readonly maxQueueSize?: number;
  readonly defaultTimeoutUs?: number;
}

const SUPPORTED = 'name, platform, backend, max_batch_size, dynamic_batching.preferred_batch_size, dynamic_batching.max_queue_delay_microseconds, dynamic_batching.default_queue_policy.max_queue_size, dynamic_batching.default_queue_policy.default_timeout_microseconds';

const refuse = (message: string) => new ClinferError('INVALID_PARAMETER', `parameters.config: ${message}`);
const unsupported = (field: string) => refuse(`field '${field}' cannot be overridden in clinfer (it takes ${SUPPORTED})`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A non-negative integer; Triton's JSON may carry 64-bit ones as strings. */
function integer(field: string, value: unknown, max: number): number {
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) throw refuse(`field '${field}' must be an integer from 0 to ${max}, got ${JSON.stringify(value)?.slice(0, 40)}`);
  return n;
}

/** Parses the `config` parameter (a JSON string) of a load request for model `model`. */
export function parseConfigOverride(model: string, text: unknown): ConfigOverride {
  if (typeof text !== 'string') throw refuse('must be a string holding the model configuration as JSON');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw refuse(`is not valid JSON (${(error as Error).message.slice(0, 80)})`);
  }
  if (!isObject(json)) throw refuse('must be a JSON object');
  const out: { -readonly [K in keyof ConfigOverride]: ConfigOverride[K] } = {};
  for (const [key, value] of Object.entries(json)) {
    switch (key) {
      case 'name':
        if (value !== model) throw refuse(`field 'name' is ${JSON.stringify(value)?.slice(0, 60)}, the model loaded is '${model}'`);
        break;
      case 'platform':
        if (value !== 'onnxruntime_onnx') throw refuse(`field 'platform' must be 'onnxruntime_onnx' (clinfer serves ONNX models only)`);
        break;
      case 'backend':
        if (value !== 'onnxruntime') throw refuse(`field 'backend' must be 'onnxruntime' (clinfer serves ONNX models only)`);
        break;
      case 'max_batch_size':
        out.maxBatchSize = integer(key, value, 65536);
        break;
      case 'dynamic_batching':
        Object.assign(out, dynamicBatching(value));
        break;
      default:
        throw unsupported(key);
    }
  }
  return Object.freeze(out);
}

function dynamicBatching(value: unknown): ConfigOverride {
  if (!isObject(value)) throw refuse(`field 'dynamic_batching' must be an object`);
  const out: { -readonly [K in keyof ConfigOverride]: ConfigOverride[K] } = {};
  for (const [key, v] of Object.entries(value)) {
    const field = `dynamic_batching.${key}`;
    if (key === 'max_queue_delay_microseconds') out.maxQueueDelayUs = integer(field, v, 10_000_000);
    else if (key === 'preferred_batch_size') {
      if (!Array.isArray(v)) throw refuse(`field '${field}' must be an array of batch sizes`);
      out.preferredBatchSizes = v.map((n, i) => {
        const size = integer(`${field}[${i}]`, n, 65536);
        if (size < 1) throw refuse(`field '${field}[${i}]' must be at least 1`);
        return size;
      });
    } else if (key === 'default_queue_policy') {
      if (!isObject(v)) throw refuse(`field '${field}' must be an object`);
      for (const [k, x] of Object.entries(v)) {
        const f = `${field}.${k}`;
        if (k === 'max_queue_size') {
          out.maxQueueSize = integer(f, x, 1_000_000);
          if (out.maxQueueSize < 1) throw refuse(`field '${f}' must be at least 1 (clinfer's queues are bounded)`);
        }
        else if (k === 'default_timeout_microseconds') out.defaultTimeoutUs = integer(f, x, 3_600_000_000);
        else throw unsupported(f);
      }
    } else throw unsupported(field);
  }
  return out;
}

/**
 * The parameters of a load request (HTTP body `parameters`, gRPC `parameters` already reduced to their
 * values): `config` is the only one clinfer reads; model files in the request (Triton's `file:...`) and
 * any other name are refused, not ignored. Undefined when there is nothing to override.
 */
export function overrideFromLoadParameters(model: string, parameters: Readonly<Record<string, unknown>>): ConfigOverride | undefined {
  for (const key of Object.keys(parameters)) {
    if (key.startsWith('file:')) throw new ClinferError('INVALID_PARAMETER', `parameters.${key.slice(0, 60)}: model files cannot be sent with a load; deploy a bundle with PUT /v2/repository/models/{m}/versions/{v}`);
    if (key !== 'config') throw new ClinferError('INVALID_PARAMETER', `parameters.${key.slice(0, 60)} is not a load parameter clinfer reads (it takes 'config')`);
  }
  return parameters.config === undefined ? undefined : parseConfigOverride(model, parameters.config);
}
