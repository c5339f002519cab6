/** What happened, as the runtime reports it to the audit log (before pseudonymisation). */
export type AuditAction =
  | 'predict' | 'deploy' | 'delete' | 'rollback' | 'load' | 'unload' | 'shadow' | 'candidate' | 'promote' | 'outcome'
  | 'access_denied' | 'access_denied_suppressed' | 'cds_hook' | 'dicom_store';

/**
 * One event for the audit log. Values that could identify a patient or a study are passed under
 * `secret` and only their keyed HMAC (audit-secret.ts) reaches the file; everything else is written as is,
 * so it must be free of patient data (names of callers, models, routes, codes, counts).
 */
export interface AuditRecord {
  readonly action: AuditAction;
  readonly caller: string;
  readonly model?: string | undefined;
  readonly version?: string | undefined;
  readonly bundle_digest?: string | undefined;
  readonly outcome: string;
  readonly latency_ms?: number | undefined;
  /** Network address of the client, when known. */
  readonly source?: string | undefined;
  /** http, grpc, stowrs, cstore, cds-hooks. */
  readonly transport?: string | undefined;
  /** HTTP status or gRPC code the client was answered, when the record is written with the answer. */
  readonly status?: number | undefined;
  /** Other facts, free of patient data (counts, ids issued by clinfer or the EHR, resource type names). */
  readonly detail?: Readonly<Record<string, string | number | boolean | Readonly<Record<string, number>>>> | undefined;
  readonly secret?: {
    /** The client's request id: stored as request_id_hmac. */
    readonly requestId?: string | undefined;
    /**
     * The request body as received, or its parts in order (gRPC: the input tensors' bytes, in input
     * order): stored as input_hmac, the HMAC of the bytes one after the other (chunks are not joined).
     */
    readonly input?: Uint8Array | readonly Uint8Array[] | undefined;
    /** input_hmac already taken (AuditLog.digestInput, off the event loop for large inputs): `input` is then not read. */
    readonly inputHmac?: string | undefined;
    /** DICOM UIDs (study, SOP instance): stored as uid_hmacs. */
    readonly uids?: readonly string[] | undefined;
  } | undefined;
}

/** What clinfer answers an unauthenticated or unauthorised caller with; see AuditLog.recordAccessDenied. */
export interface AccessDenied {
  /** Client network address (IP), the key of the per-source rate limit. */
  readonly source: string;
  /** The name the credentials claimed or resolved to, when known (never the credential itself). */
  readonly caller?: string | undefined;
  /** HTTP method or gRPC method name. */
  readonly method: string;
  /** The declared route (e.g. /v2/repository/models/:model/unload), not the raw path. */
  readonly route: string;
  /** 401, 403 (HTTP) or the gRPC status code. */
  readonly status: number;
  /** The stable error code (UNAUTHENTICATED, FORBIDDEN, ...). */
  readonly code: string;
  readonly transport?: 'http' | 'grpc' | undefined;
}

/** Longest text written from a client-chosen value (model name, route, caller) before it is cut. */
export const MAX_TEXT = 128;

export function capText(value: string): string {
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
}
