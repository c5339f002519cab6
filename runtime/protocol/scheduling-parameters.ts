import { ClinferError } from '../errors/index.js';
import { DEFAULT_PRIORITY, PRIORITY, PRIORITY_LEVELS } from '../model/model-config.js';

export interface RequestScheduling {
  /** 1 (STAT) is the highest; already defaulted. */
  readonly priority: number;
  /** undefined: use the model's default timeout. */
  readonly timeoutMs: number | undefined;
}

/** Headers for clients that cannot set request parameters. */
export const PRIORITY_HEADER = 'clinfer-priority';
export const TIMEOUT_HEADER = 'clinfer-timeout';

const invalid = (message: string) => new ClinferError('INVALID_PARAMETER', message);

/**
 * Reads Triton's `priority` (1 = highest, 0 = default) and `timeout` (microseconds, 0 = none) request
 * parameters, or the Clinfer-Priority (`stat`, `routine` or a level) and Clinfer-Timeout (microseconds)
 * headers. A parameter wins over a header.
 */
export function readSchedulingParameters(parameters: Readonly<Record<string, unknown>>, headers: { priority?: string | undefined; timeout?: string | undefined }): RequestScheduling {
  return { priority: readPriority(parameters.priority, headers.priority), timeoutMs: readTimeout(parameters.timeout, headers.timeout) };
}

function readPriority(parameter: unknown, header: string | undefined): number {
  let level: number;
  if (parameter !== undefined) {
    if (!Number.isInteger(parameter) || (parameter as number) < 0 || (parameter as number) > PRIORITY_LEVELS) {
      throw invalid(`parameter 'priority' must be an integer from 0 (default) to ${PRIORITY_LEVELS}, 1 being the highest (STAT); got ${JSON.stringify(parameter)?.slice(0, 20)}`);
    }
    level = parameter as number;
  } else if (header !== undefined) {
    const named = PRIORITY[header.trim().toUpperCase() as keyof typeof PRIORITY];
    level = named ?? (/^\d+$/.test(header.trim()) ? Number(header) : -1);
    if (level < 0 || level > PRIORITY_LEVELS) throw invalid(`header Clinfer-Priority must be 'stat', 'routine' or a level from 0 to ${PRIORITY_LEVELS}; got '${header.slice(0, 20)}'`);
  } else {
    level = 0;
  }
  return level === 0 ? DEFAULT_PRIORITY : level;
}

function readTimeout(parameter: unknown, header: string | undefined): number | undefined {
  let micros: number;
  if (parameter !== undefined) {
    if (!Number.isSafeInteger(parameter) || (parameter as number) < 0) throw invalid(`parameter 'timeout' must be a non-negative integer of microseconds; got ${JSON.stringify(parameter)?.slice(0, 20)}`);
    micros = parameter as number;
  } else if (header !== undefined) {
    if (!/^\d{1,15}$/.test(header.trim())) throw invalid(`header Clinfer-Timeout must be a non-negative integer of microseconds; got '${header.slice(0, 20)}'`);
    micros = Number(header);
  } else {
    return undefined;
  }
  return micros === 0 ? undefined : micros / 1000;
}
