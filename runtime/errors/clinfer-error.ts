import { CodedError, isCodedError } from '../../adapters/coded-error.js';
import { ERROR_CODES, type ErrorCode, type ErrorKind } from './codes.js';

/**
 * The runtime's coded error (the base, CodedError, is shared with the adapters and the browser app).
 * `message` is safe to show a caller: it never holds patient data.
 */
export class ClinferError<Code extends ErrorCode = ErrorCode> extends CodedError<Code> {
  /** For QUEUE_FULL: when a retry is likely to be accepted (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: Code, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(code, message, options);
    this.name = 'ClinferError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get kind(): ErrorKind {
    return ERROR_CODES[this.code].kind;
  }
}

export function isClinferError(value: unknown): value is ClinferError {
  return value instanceof ClinferError;
}

/** True for a code listed in codes.ts. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** Any coded error (a domain error of the adapters, the runtime or a subclass) whose code is listed in codes.ts. */
export function hasListedCode(value: unknown): value is CodedError<ErrorCode> {
  return isCodedError(value) && isErrorCode(value.code);
}

export const invalidInput = (message: string) => new ClinferError('INVALID_INPUT', message);
export const invalidRequest = (message: string) => new ClinferError('INVALID_REQUEST', message);
export const modelNotFound = (model: string) =>
  new ClinferError('MODEL_NOT_FOUND', `model '${model}' is not in the repository`);
export const versionNotFound = (model: string, version: string) =>
  new ClinferError('VERSION_NOT_FOUND', `model '${model}' has no version '${version}'`);
