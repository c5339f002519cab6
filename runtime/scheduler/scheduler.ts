import type { Tensor } from '../tensor/tensor.js';

/** One inference request, validated against the model, waiting for a worker. */
export interface ScheduledRequest {
  readonly inputs: readonly Tensor[];
  /** Output names to compute, in the order the response lists them. */
  readonly fetches: readonly string[];
  /** Aborted when the caller goes away: queued work is then dropped, not run. */
  readonly signal?: AbortSignal;
  /** 1 (STAT) is dispatched before any queued request of a lower level (larger number). */
  readonly priority: number;
  /** Give up if not started within this many ms; undefined: the model's default timeout. */
  readonly timeoutMs: number | undefined;
  /** The sequence a request of a stateful model belongs to (read only by the SequenceBatcher). */
  readonly sequence?: SequenceFlags;
}

/** Triton's sequence parameters of one request. */
export interface SequenceFlags {
  readonly id: number | string;
  /** The first request: the sequence starts from its initial state (a live one with this id restarts). */
  readonly start: boolean;
  /** The last request: the state is freed once it is answered. */
  readonly end: boolean;
}

export interface ScheduledResult {
  readonly outputs: readonly Tensor[];
  readonly queueSeconds: number;
  readonly computeSeconds: number;
  readonly batchSize: number;
}

/**
 * Sits between the protocol layer and the worker pool, one per model version (Triton's Scheduler).
 * Contract: every enqueued request settles exactly once, with a result or a ClinferError.
 */
export interface Scheduler {
  enqueue(request: ScheduledRequest): Promise<ScheduledResult>;
  /** Requests accepted and not yet answered (queued plus executing). */
  readonly inflightCount: number;
  /** Refuses new work, lets accepted work finish, then resolves. */
  stop(): Promise<void>;
}
