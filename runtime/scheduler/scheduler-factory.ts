import type { ModelConfig } from '../model/model-config.js';
import type { SessionSpec } from '../pool/messages.js';
import type { Scheduler } from './scheduler.js';
import type { ShadowTarget } from './shadow-scheduler.js';

/**
 * How the model lifecycle gets the schedulers of a version without building them itself (Triton lets the
 * model make its scheduler): server.ts passes the implementation in (create-scheduler-factory.ts), tests a fake.
 */
export interface SchedulerFactory {
  /** A READY version's own scheduler: its dynamic batcher, behind a sequence batcher for a stateful model. */
  forVersion(config: ModelConfig, spec: SessionSpec, options: VersionSchedulerOptions): Scheduler;
  /** The version's sessions straight, outside the request metrics: for checks made while it loads. */
  direct(spec: SessionSpec): Scheduler;
  /** The serving version's scheduler, also sending a copy of each request to a shadow candidate. */
  shadow(serving: Scheduler, target: ShadowTarget): Scheduler;
}

export interface VersionSchedulerOptions {
  /** Ceiling on the batches of this version running at once (maxInstancesPerModel). */
  readonly maxInstances: number;
  /** Called once when a run of this version passed its execution timeout (see BatcherOptions). */
  readonly onExecutionTimeout: (reason: string) => void;
  /** May borrow idle worker threads beyond `maxInstances` (worker-lending.ts). */
  readonly lend?: boolean;
}
