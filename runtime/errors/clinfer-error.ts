import { ERROR_CODES, type ErrorCode, type ErrorKind } from './codes.js';

/** The one error type that crosses layers. `message` is safe to show a caller: it never holds patient data. */
export class ClinferError extends Error {
  readonly code: ErrorCode;
  /** For QUEUE_FULL: when a retry is likely to be accepted (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClinferError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get kind(): ErrorKind {
    return ERROR_CODES[this.code].kind;
  }
}

export function isClinferError(value: unknown): value is ClinferError {
  return value instanceof ClinferError;
}

export const invalidInput = (message: string) => new ClinferError('INVALID_INPUT', message);
export const invalidRequest = (message: string) => new ClinferError('INVALID_REQUEST', message);
export const modelNotFound = (model: string) =>
  new ClinferError('MODEL_NOT_FOUND', `model '${model}' is not in the repository`);
export const versionNotFound = (model: string, version: string) =>
  new ClinferError('VERSION_NOT_FOUND', `model '${model}' has no version '${version}'`);
