import { ERROR_CODES, type ErrorKind } from './codes.js';
import { ClinferError, hasListedCode, isClinferError } from './clinfer-error.js';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_argument: 400,
  not_found: 404,
  payload_too_large: 413,
  resource_exhausted: 429,
  unsupported: 501,
  unsupported_media_type: 415,
  precondition_failed: 412,
  unauthenticated: 401,
  permission_denied: 403,
  conflict: 409,
  // A well-formed input the model was not made for (OUT_OF_SCOPE): WebDAV's 422, as FastAPI and Rails use it.
  unprocessable: 422,
  not_acceptable: 406,
  unavailable: 503,
  deadline_exceeded: 504,
  // nginx's 499 "client closed request": nobody reads it, but logs and metrics stay truthful.
  cancelled: 499,
  internal: 500,
};

/**
 * The single place where an error becomes an HTTP status (Triton's HttpCodeFromError): any coded error
 * whose code is listed in codes.ts, by its code's kind; anything else is 500.
 */
export function httpStatusFromError(error: unknown): number {
  return hasListedCode(error) ? STATUS_BY_KIND[ERROR_CODES[error.code].kind] : 500;
}

/**
 * Anything thrown as a ClinferError: a coded error with a listed code keeps its code and message (the
 * original is the cause); unknown faults become INTERNAL without leaking their text.
 */
export function toClinferError(error: unknown): ClinferError {
  if (isClinferError(error)) return error;
  if (hasListedCode(error)) return new ClinferError(error.code, error.message, { cause: error });
  return new ClinferError('INTERNAL', 'internal error', { cause: error });
}
