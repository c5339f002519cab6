/**
 * The messages that cross the main-thread / worker boundary. Only structured-cloneable data goes
 * here; typed-array buffers travel in the transfer list (the sender gives up ownership).
 */
import { CodedError } from '../../adapters/coded-error.js';
import type { NumericArray, OrtType } from '../tensor/datatypes.js';
import type { WarmupPlan } from './warmup.js';

/** A tensor on the wire. BYTES tensors travel as strings, as onnxruntime-node takes them. */
export interface WireTensor {
  name: string;
  type: OrtType;
  dims: number[];
  data: NumericArray | string[];
  /**
   * A batch the worker merges: the tensor's values are `data` followed by each of these, all in shared
   * memory (views into HTTP bodies). The worker joins them into the copy ONNX Runtime needs.
   */
  rest?: NumericArray[];
}

/** Identifies one ONNX Runtime session configuration; every worker can create it on demand. */
export interface SessionSpec {
  /** Unique per loaded model version (name, version and a load generation). */
  key: string;
  modelPath: string;
  /**
   * sha256 of the model file as verified at load (signature or bundle digest). Every session, a replacement
   * worker's included, is created from bytes read and hashed in one go: a file changed on disk since is refused.
   */
  modelSha256: string;
  /** Execution providers in order of preference; CPU is always tried last. */
  providers: string[];
  intraOpThreads: number;
  /** The watchdog's limit for one execution (batch) of this version; past it the run is abandoned. */
  executionTimeoutMs: number;
  /** How each new session is warmed up (warmup.ts: declared samples, synthetic zeros, or off). */
  warmup: WarmupPlan;
  /**
   * A pipeline (bundle.json `pipeline`): the model above is its first step ('model'); these steps run after
   * it in the same task, so intermediate tensors stay in the worker (pipeline-runner.ts).
   */
  pipeline?: PipelineSpec;
}

/** A tensor of a pipeline: a pipeline input (step 'input'), or an output of 'model' or of a named step. */
export interface TensorRef {
  step: string;
  tensor: string;
}

export interface PipelineStepSpec {
  name: string;
  modelPath: string;
  /** Checked as SessionSpec.modelSha256 is: the session is made from bytes hashed to this. */
  modelSha256: string;
  /** Graph input -> where its value comes from. */
  inputs: Record<string, TensorRef>;
}

export interface PipelineSpec {
  steps: PipelineStepSpec[];
  /** Pipeline output name -> the step output it is. */
  outputs: Record<string, TensorRef>;
}

export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: (number | string)[];
}

export interface LoadResult {
  threadId: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  provider: string;
  /** Providers that failed before the one in use, and why (logged once by the main thread). */
  fallbacks: { provider: string; error: string }[];
  loadMs: number;
  warmupMs: number;
  /** Set when warm-up failed: UNAVAILABLE for declared samples, a warning for a synthetic warm-up. */
  warmupError?: string;
}

export interface InferResult {
  outputs: WireTensor[];
  computeMs: number;
  threadId: number;
}

/** Test-only (fault-hook.ts): the worker thread dies holding the task, before or after session.run. */
export type TaskFault = 'crash-before-run' | 'crash-after-run';

export type Task =
  | { kind: 'load'; spec: SessionSpec }
  | { kind: 'unload'; key: string }
  /** `fault` is only ever set by an armed test hook (CLINFER_TEST_FAULTS in a test process). */
  | { kind: 'infer'; spec: SessionSpec; feeds: WireTensor[]; fetches: string[]; fault?: TaskFault };

/** Main thread -> worker thread: one task, numbered; the worker answers each id exactly once. */
export interface TaskMessage {
  id: number;
  task: Task;
}

/**
 * Worker thread -> main thread. `error` carries the error's message only (first line, no stack); `code`
 * is set where the worker found the bundle itself wrong (a miswired pipeline), not ONNX Runtime failing.
 */
export type ReplyMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string; code?: WorkerErrorCode };

export type WorkerErrorCode = 'BUNDLE_INVALID';

/** Thrown in a worker for a bundle that cannot work (pipeline-wiring.ts); the main thread answers BUNDLE_INVALID. */
export class WorkerBundleError extends CodedError<WorkerErrorCode> {
  constructor(message: string) {
    super('BUNDLE_INVALID', message);
  }
}

export function workerErrorCode(error: unknown): WorkerErrorCode | undefined {
  return error instanceof WorkerBundleError ? error.code : undefined;
}
