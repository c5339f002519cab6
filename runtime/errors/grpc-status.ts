import { status } from '@grpc/grpc-js';
import type { ErrorKind } from './codes.js';
import { isClinferError } from './clinfer-error.js';

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

/** The single place where an error becomes a gRPC status code (the HTTP twin is http-status.ts). */
export function grpcStatusFromError(error: unknown): status {
  return isClinferError(error) ? GRPC_BY_KIND[error.kind] : status.INTERNAL;
}
