import { status } from '@grpc/grpc-js';
import { ERROR_CODES, type ErrorKind } from './codes.js';
import { hasListedCode } from './clinfer-error.js';

const GRPC_BY_KIND: Record<ErrorKind, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  payload_too_large: status.RESOURCE_EXHAUSTED,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unsupported: status.UNIMPLEMENTED,
  unsupported_media_type: status.INVALID_ARGUMENT,
  unavailable: status.UNAVAILABLE,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  cancelled: status.CANCELLED,
  precondition_failed: status.FAILED_PRECONDITION,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  conflict: status.ALREADY_EXISTS,
  unprocessable: status.FAILED_PRECONDITION,
  not_acceptable: status.INVALID_ARGUMENT,
  internal: status.INTERNAL,
};

/** The single place where an error becomes a gRPC status code (the HTTP twin is http-status.ts): any coded error with a listed code. */
export function grpcStatusFromError(error: unknown): status {
  return hasListedCode(error) ? GRPC_BY_KIND[ERROR_CODES[error.code].kind] : status.INTERNAL;
}
