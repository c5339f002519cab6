import type { ImageSpec } from '../../adapters/imaging/image-spec.js';
import type { TabularSpec } from '../../adapters/tabular/tabular-spec.js';
import type { Bundle } from '../bundle/bundle-schema.js';
import type { DriftReference } from '../monitoring/drift-monitor.js';
import type { TensorSpec, UnsupportedValueSpec } from './tensor-spec.js';
import type { SequenceSpec } from './sequence-spec.js';

/**
 * Everything the serving path needs to know about one model version, after the bundle (or the ONNX
 * graph, for a bare model) has been read and checked against the graph. Frozen once built.
 */
export interface ModelConfig {
  readonly name: string;
  readonly version: string;
  readonly platform: 'onnxruntime_onnx';
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly unsupportedOutputs: readonly UnsupportedValueSpec[];
  /** 0 or 1: no batching. Otherwise the first dimension of every input and output is the batch. */
  readonly maxBatchSize: number;
  /** Largest request body accepted for this model (HTTP and gRPC): its need within the server's floor and ceiling. */
  readonly maxRequestBytes: number;
  /** A full batch of the inputs in binary plus overhead; undefined when the input shapes are not static. */
  readonly requestBytesNeeded: number | undefined;
  /** How the warm-up went; undefined where no session was loaded (the CLI's `bundle init`). */
  readonly warmup: WarmupStatus | undefined;
  /** Memory the loaded sessions hold, as measured at load. */
  readonly memory: ModelMemory | undefined;
  readonly instances: number;
  readonly scheduling: SchedulingPolicy;
  /** The execution provider ONNX Runtime actually uses for this version. */
  readonly provider: string;
  /** sha256 naming the exact files served (see runtime/bundle/signature.ts bundleDigest). */
  readonly digest: string;
  /** Where the metadata came from: a bundle.json, or auto-filled from the graph. */
  readonly source: 'bundle' | 'autofill';
  readonly bundle: Bundle | undefined;
  /** Training distributions for drift monitoring, when the bundle carries them. */
  readonly driftReference: DriftReference | undefined;
  /** The bundle's tabular feature declarations, parsed at load time (tabular models only). */
  readonly tabular: TabularSpec | undefined;
  /** The bundle's image preprocessing, parsed at load time (imaging models only). */
  readonly image: ImageSpec | undefined;
  /**
   * A stateful model's sequence declaration (bundle `sequence`). When set, `inputs` and `outputs` are what
   * the client sends and receives: the state and control inputs and the state outputs are kept apart here.
   */
  readonly sequence?: SequenceSpec;
}

/**
 * `failed` with source `synthetic`: zeros with guessed sizes did not run; the model serves anyway and
 * its first real request tells. (A failed declared sample never gets here: the version is UNAVAILABLE.)
 */
export interface WarmupStatus {
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly source: 'samples' | 'synthetic' | 'off';
  readonly samples: number;
  readonly reason?: string;
}

/**
 * Memory held per model version. ONNX Runtime's allocations are not attributable per session from
 * JavaScript, so this is an estimate from two measures: the model file times the sessions holding it,
 * and the process RSS growth across the load and warm-up (noisy when loads overlap).
 */
export interface ModelMemory {
  readonly modelFileBytes: number;
  readonly sessions: number;
  readonly rssDeltaAtLoadBytes: number;
  /** max(modelFileBytes x sessions, rssDeltaAtLoadBytes): what the gauge reports. */
  readonly estimatedBytes: number;
}

/** How the model's scheduler queues and batches (bundle settings, server defaults and override applied). */
export interface SchedulingPolicy {
  readonly maxQueueDelayMs: number;
  /** Ascending; empty means only maxBatchSize counts as "full". */
  readonly preferredBatchSizes: readonly number[];
  readonly maxQueueSize: number;
  /** 0 means requests without a timeout wait as long as it takes. */
  readonly defaultTimeoutMs: number;
}

/** Priority levels (Triton's: 1 is the highest). 0 in a request means the default. */
export const PRIORITY = { STAT: 1, ROUTINE: 2 } as const;
export const PRIORITY_LEVELS = 2;
export const DEFAULT_PRIORITY = PRIORITY.ROUTINE;
