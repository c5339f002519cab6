import type { SessionSpec } from '../pool/messages.js';
import type { InferenceBackend } from './inference-backend.js';
import type { Scheduler } from './scheduler.js';

/**
 * A version's sessions in the backend (the pool), straight, without the batcher: for checks the server
 * makes of a model while it loads (a tabular bundle's linear_model against the graph), which are not client
 * requests and so stay out of the request, queue and batch metrics. The pool's execution timeout still
 * applies.
 */
export function directScheduler(backend: InferenceBackend, spec: SessionSpec): Scheduler {
  return {
    inflightCount: 0,
    stop: async () => undefined,
    enqueue: async (request) => {
      const { outputs, computeSeconds } = await backend.infer(spec, request.inputs, request.fetches);
      return { outputs, queueSeconds: 0, computeSeconds, batchSize: request.inputs[0]?.shape[0] ?? 1 };
    },
  };
}
