import { ClinferError } from '../errors/index.js';
import type { ModelConfig } from '../model/model-config.js';
import type { SessionSpec } from '../pool/messages.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { DriftMonitor } from '../monitoring/drift-monitor.js';
import type { ModelState } from './model-state.js';

/**
 * One version of one model and where it is in its lifecycle (model-state.ts lists the moves; only
 * model-lifecycle.ts makes them). `config`, `spec` and `scheduler` are set when it becomes READY and
 * cleared by an unload; a version taken out after an execution timeout keeps them (its scheduler stopped).
 */
export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  state: ModelState;
  reason: string;
  config?: ModelConfig;
  spec?: SessionSpec;
  scheduler?: Scheduler;
  /** The version's own batcher; `scheduler` wraps it when a shadow candidate is attached. */
  batcher?: Scheduler;
  /** Rolling input and output distributions against the bundle's training reference. */
  drift?: DriftMonitor;
}

export interface IndexEntry {
  name: string;
  version: string;
  state: ModelState;
  reason: string;
}

export type ReadyVersion = ModelVersion & Required<Pick<ModelVersion, 'config' | 'scheduler'>>;

/** The version if it can take requests, else MODEL_NOT_READY with its state and reason (HTTP and gRPC). */
export function requireReady(v: ModelVersion): ReadyVersion {
  if (v.state !== 'READY' || !v.config || !v.scheduler) {
    throw new ClinferError('MODEL_NOT_READY', `model '${v.name}' version ${v.version} is ${v.state}${v.reason ? `: ${v.reason}` : ''}`);
  }
  return v as ReadyVersion;
}
