import type { SessionSpec } from '../pool/messages.js';
import type { Tensor } from '../tensor/tensor.js';

/** What one batch's execution returns. */
export interface BackendInferResult {
  readonly outputs: Tensor[];
  readonly computeSeconds: number;
}

export interface BackendInferOptions {
  /**
   * Send copies of the input buffers, so that the caller's tensors stay usable (to retry the batch if
   * its worker dies). Without it the backend may take the buffers and the caller must not touch them.
   */
  readonly preserveInputs?: boolean;
  /**
   * The batch runs on a thread lent to its version (worker-lending.ts): past this many ms the backend
   * gives the run up and answers WORKER_EXITED, so that the batch may run again on the version's own share.
   */
  readonly lentLimitMs?: number;
}

/**
 * What a scheduler needs of whatever runs a model (Triton's backend instance): one batch in, its outputs
 * out. The WorkerPool is the implementation the server wires in; the scheduler tests use a fake.
 *
 * Contract, which the DynamicBatcher relies on:
 * - `infer` settles exactly once, with the outputs (batch rows along dimension 0 when the model batches)
 *   or a ClinferError;
 * - WORKER_EXITED: the thread running the batch died before answering; the batch may be run again;
 * - EXECUTION_TIMEOUT: the batch ran past `spec.executionTimeoutMs` and was abandoned;
 * - any other error answers the batch's requests as it is.
 */
export interface InferenceBackend {
  /** Threads free with no batch waiting for one; a backend without it lends none. */
  readonly idleWorkers?: number;
  infer(spec: SessionSpec, inputs: readonly Tensor[], fetches: readonly string[], options?: BackendInferOptions): Promise<BackendInferResult>;
}
