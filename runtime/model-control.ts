import type { Config } from './config/config-schema.js';
import { ClinferError } from './errors/index.js';

/** Which listener a request came in on: the API port (HTTP or gRPC), or the separate admin listener (`adminListener`). */
export type Listener = 'api' | 'admin';

/**
 * Why model control (load, unload, deploy, delete, rollback, candidates) is not served on a listener
 * (MODEL_CONTROL_DISABLED), or undefined where it is. The gRPC port is an API listener: its repository
 * methods follow the same rule as the HTTP routes.
 */
export function modelControlRefusal(config: Pick<Config, 'modelControlMode' | 'adminListener'>, listener: Listener): ClinferError | undefined {
  if (config.modelControlMode === 'none') return new ClinferError('MODEL_CONTROL_DISABLED', 'model control is off on this server (modelControlMode "none"): models are loaded from the repository folder at start');
  if (listener === 'api' && config.adminListener) return new ClinferError('MODEL_CONTROL_DISABLED', 'model control is served on the admin listener only, not on this port');
  return undefined;
}
