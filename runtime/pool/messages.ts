/**
 * The messages that cross the main-thread / worker boundary. Only structured-cloneable data goes
 * here; typed-array buffers travel in the transfer list (the sender gives up ownership).
 */
import type { NumericArray, OrtType } from '../tensor/datatypes.js';
import type { WarmupPlan } from './warmup.js';

/** A tensor on the wire. BYTES tensors travel as strings, as onnxruntime-node takes them. */
export interface WireTensor {
  name: string;
  type: OrtType;
  dims: number[];
  data: NumericArray | string[];
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

/** Worker thread -> main thread. `error` carries the error's message only (first line, no stack). */
export type ReplyMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };
