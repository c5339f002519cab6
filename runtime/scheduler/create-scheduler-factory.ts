import type { AuditLog } from '../audit/audit-log.js';
import type { Metrics } from '../metrics/metrics.js';
import { directScheduler } from './direct-scheduler.js';
import { DynamicBatcher } from './dynamic-batcher.js';
import type { InferenceBackend } from './inference-backend.js';
import type { SchedulerFactory } from './scheduler-factory.js';
import { SequenceBatcher } from './sequence-batcher.js';
import { WorkerLending } from './worker-lending.js';
import { ShadowScheduler } from './shadow-scheduler.js';

/** The schedulers the server runs: dynamic batching on the backend, sequences, shadowing (audited). */
export function createSchedulerFactory(deps: { backend: InferenceBackend; metrics: Metrics; audit: AuditLog | undefined }): SchedulerFactory {
  const { backend, metrics, audit } = deps;
  // One registry per server: a version borrows only while no other one has requests waiting.
  const registry = new WorkerLending();
  const lending = backend.idleWorkers === undefined ? undefined : { registry, idleWorkers: () => backend.idleWorkers ?? 0 };
  return {
    forVersion(config, spec, options) {
      const { lend, ...rest } = options;
      const batcher = new DynamicBatcher(config, spec, backend, metrics, { ...rest, ...(lend && lending ? { lending } : {}) });
      // A stateful model keeps its state per sequence in front of the batcher.
      return config.sequence ? new SequenceBatcher({ ...config, sequence: config.sequence }, batcher, metrics) : batcher;
    },
    direct: (spec) => directScheduler(backend, spec),
    shadow: (serving, target) => new ShadowScheduler(serving, target, metrics, audit),
  };
}
