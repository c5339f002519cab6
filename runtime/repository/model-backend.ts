import type { LoadResult, SessionSpec } from '../pool/messages.js';

/**
 * What the model lifecycle needs of whatever holds the sessions (Triton's backend instances): create a
 * version's sessions on every worker, free them. The WorkerPool fits it; the lifecycle tests use a fake.
 */
export interface ModelBackend {
  /** Worker threads, each holding a session of every loaded version. */
  readonly size: number;
  /** Creates and warms up the version's session on every worker; one report per session. */
  load(spec: SessionSpec, timeoutMs: number): Promise<LoadResult[]>;
  /** Frees the version's sessions on every worker. */
  unload(key: string): Promise<void>;
}
