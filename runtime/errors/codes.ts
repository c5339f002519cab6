/**
 * Every error clinfer answers with carries one of these stable codes. A code is never reused for a
 * different meaning; `kind` says which HTTP status family it belongs to (see http-status.ts).
 * test/unit/errors/codes.test.ts pins this list and checks each code is documented in docs/errors.md.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'unavailable'
  | 'unsupported'
  | 'payload_too_large'
  | 'resource_exhausted'
  | 'deadline_exceeded'
  | 'cancelled'
  | 'unsupported_media_type'
  | 'precondition_failed'
  | 'unauthenticated'
  | 'permission_denied'
  | 'conflict'
  | 'unprocessable'
  | 'not_acceptable'
  | 'internal';

export const ERROR_CODES = {
  INVALID_REQUEST: { kind: 'invalid_argument', summary: 'the request body or URL is malformed' },
  INVALID_INPUT: { kind: 'invalid_argument', summary: 'an input tensor does not match the model (name, datatype, shape, data)' },
  INVALID_OUTPUT: { kind: 'invalid_argument', summary: 'a requested output does not exist on the model' },
  OUTPUT_TOO_LARGE_FOR_JSON: { kind: 'invalid_argument', summary: 'a JSON output would pass maxJsonResponseBytes; ask for it with parameters.binary_data_output: true' },
  INVALID_PARAMETER: { kind: 'invalid_argument', summary: 'a request parameter has the wrong type or value' },
  ROUTE_NOT_FOUND: { kind: 'not_found', summary: 'no endpoint at this method and path' },
  MODEL_NOT_FOUND: { kind: 'not_found', summary: 'no model of that name in the repository' },
  VERSION_NOT_FOUND: { kind: 'not_found', summary: 'the model has no such version' },
  MODEL_NOT_READY: { kind: 'unavailable', summary: 'the model version exists but is not READY (loading, unloading or unavailable)' },
  WORKER_EXITED: { kind: 'unavailable', summary: 'the worker thread running the request died; the request may be retried' },
  INBOX_UNAVAILABLE: { kind: 'unavailable', summary: 'the DICOM inbox cannot be written (disk full, read-only or not permitted): the instance was not stored; send it again later' },
  OUTBOX_UNAVAILABLE: { kind: 'unavailable', summary: 'write-back was asked but the RiskAssessments could not be put in the write-back outbox (disk full, not permitted): not answered, so the caller knows; call again later' },
  SERVER_SHUTTING_DOWN: { kind: 'unavailable', summary: 'the server is draining and accepts no new work' },
  OUTCOMES_DISABLED: { kind: 'unsupported', summary: 'POST /v1/models/{m}/outcomes on a server that keeps no predictions (outcomeDatabase unset)' },
  UNSUPPORTED_DATATYPE: { kind: 'unsupported', summary: 'reserved: no request answers it now (FP16 in JSON is INVALID_INPUT, as Triton)' },
  QUEUE_FULL: { kind: 'resource_exhausted', summary: "the model's queue is full; retry after the Retry-After delay" },
  SEQUENCE_NOT_FOUND: { kind: 'invalid_argument', summary: 'a request of a stateful model names a sequence that is not live (never started, ended, or freed after idle_timeout_ms) and does not start it' },
  SEQUENCE_LIMIT: { kind: 'resource_exhausted', summary: "a new sequence would pass the stateful model's max_sequences; end one or retry after the Retry-After delay" },
  DEADLINE_EXCEEDED: { kind: 'deadline_exceeded', summary: 'the request timeout passed while it was queued; it was not executed' },
  EXECUTION_TIMEOUT: { kind: 'deadline_exceeded', summary: "the model's execution ran past its execution timeout: abandoned, the version is UNAVAILABLE" },
  REQUEST_CANCELLED: { kind: 'cancelled', summary: 'the client went away while the request was queued; it was not executed' },
  UNSUPPORTED_MEDIA_TYPE: { kind: 'unsupported_media_type', summary: 'the Content-Type is not one this endpoint reads for this model' },
  NOT_ACCEPTABLE: { kind: 'not_acceptable', summary: 'the Accept header asks only for representations this endpoint does not produce (e.g. application/dicom+xml from STOW-RS)' },
  NOT_A_TABULAR_MODEL: { kind: 'invalid_argument', summary: 'records or FHIR were sent to a model whose bundle declares no tabular features' },
  NOT_AN_IMAGING_MODEL: { kind: 'invalid_argument', summary: 'an image was sent to a model whose bundle declares no image preprocessing' },
  INVALID_IMAGE: { kind: 'invalid_argument', summary: 'a PNG, JPEG, TIFF or WebP body that cannot be read' },
  INVALID_DICOM: { kind: 'invalid_argument', summary: 'a DICOM object that cannot be parsed or whose pixel data is inconsistent (element and expectation named)' },
  NO_PIXEL_DATA: { kind: 'invalid_argument', summary: 'a DICOM object without pixel data (an SR, RT or ECG object) was sent to an imaging model' },
  UNSUPPORTED_TRANSFER_SYNTAX: { kind: 'unsupported_media_type', summary: 'the DICOM transfer syntax has no decoder in clinfer' },
  UNSUPPORTED_CHARACTER_SET: { kind: 'unsupported_media_type', summary: "the DICOM object's Specific Character Set (or an escape sequence in a text value) has no decoder in clinfer" },
  INSUFFICIENT_DATA: { kind: 'unprocessable', summary: "too little observed data for a tabular model: a feature its bundle's least_observed requires is missing, or more features would be imputed than it allows (named in the message)" },
  OUT_OF_SCOPE: { kind: 'unprocessable', summary: "the input is outside the model's declared input_scope (modality, body part, view, size, age...) and its bundle refuses such inputs" },
  IMAGE_TOO_LARGE: { kind: 'payload_too_large', summary: 'an image or DICOM instance exceeds the pixel, frame or decoded-size limit' },
  PREDICTION_NOT_FOUND: { kind: 'not_found', summary: 'an outcome names a prediction that is not on record (unknown id, another model, or past outcomeRetentionDays)' },
  CDS_SERVICE_NOT_FOUND: { kind: 'not_found', summary: 'no CDS Hooks service with that id' },
  PREFETCH_UNAVAILABLE: { kind: 'precondition_failed', summary: 'CDS Hooks: a prefetch key is missing and no FHIR server was given (or it could not be read)' },
  UNAUTHENTICATED: { kind: 'unauthenticated', summary: 'the bearer token is missing or does not verify' },
  FORBIDDEN: { kind: 'permission_denied', summary: 'the caller is authenticated but lacks the scope this endpoint needs' },
  MODEL_CONTROL_DISABLED: { kind: 'permission_denied', summary: 'model control (load, unload, deploy, delete, rollback, candidates) is off on this listener: modelControlMode "none", or an admin listener serves it' },
  AUTH_UNAVAILABLE: { kind: 'unavailable', summary: "credentials could not be checked: the token issuer's key set (JWKS) cannot be fetched" },
  AUDIT_UNAVAILABLE: { kind: 'unavailable', summary: 'the audit entry for the request could not be written (disk full, no permission): the request is refused, not answered unaudited' },
  FHIR_SERVER_NOT_ALLOWED: { kind: 'permission_denied', summary: "CDS Hooks: the request's fhirServer is not on the configured allow-list (cdsHooksFhirServers)" },
  RATE_LIMITED: { kind: 'resource_exhausted', summary: "the caller exceeds its request rate or concurrency limit; retry after the Retry-After delay" },
  VERSION_EXISTS: { kind: 'conflict', summary: 'a deployment names a version that already exists; versions are immutable' },
  BUNDLE_REVOKED: { kind: 'conflict', summary: "the bundle's digest is on the revocation list (revokedBundleDigests)" },
  BUNDLE_SUPERSEDED: { kind: 'conflict', summary: 'the bundle version is below the minimum (bundleMinVersions) or older than a version on disk (refuseSupersededBundles)' },
  VALIDATION_REQUIRED: { kind: 'precondition_failed', summary: 'the promotion gate (promotionPolicy) refused a candidate: no passing local validation report signed by a trusted site for its bundle digest (what is missing is named)' },
  BODY_TOO_LARGE: { kind: 'payload_too_large', summary: 'the request body exceeds the configured limit' },
  BUNDLE_INVALID: { kind: 'invalid_argument', summary: 'a model bundle failed validation (file and field named)' },
  REPORT_INVALID: { kind: 'invalid_argument', summary: 'a validation report failed verification: bad or missing signature, another bundle digest, not a report (clinfer validate)' },
  CONFIG_INVALID: { kind: 'invalid_argument', summary: 'the server configuration failed validation' },
  // DICOM result objects (SR, SEG) that cannot be built from a prediction: the instance goes to dead-letter.
  RESULT_INVALID_SOURCES: { kind: 'invalid_argument', summary: 'the source instances cannot be referenced by one result object (none, several studies or patients, or geometry or UIDs missing)' },
  RESULT_INVALID_FINDING: { kind: 'invalid_argument', summary: 'a classification finding is malformed (unknown source index, frame out of range, score not a probability)' },
  RESULT_INVALID_MASK: { kind: 'invalid_argument', summary: 'a segmentation mask does not fit its source frame or holds a value no segment declares' },
  RESULT_EMPTY_SEGMENTATION: { kind: 'invalid_argument', summary: 'no mask holds any segment: a DICOM SEG needs at least one frame' },
  RESULT_INVALID_MODEL: { kind: 'invalid_argument', summary: 'the model identity is malformed (digest not sha-256 hex, empty name or version)' },
  RESULT_INVALID_VALUE: { kind: 'invalid_argument', summary: 'a value does not fit its DICOM value representation (too long, forbidden characters, bad UID root)' },
  // Delivery to PACS (C-STORE, STOW-RS) and FHIR servers: seen in delivery records, logs and metrics; retried by the lane.
  PACS_INVALID_PART10: { kind: 'invalid_argument', summary: 'an instance is not a DICOM Part 10 file (no preamble, DICM prefix or file meta)' },
  PACS_DESTINATION_UNKNOWN: { kind: 'not_found', summary: 'the delivery queue has no destination of that name' },
  PACS_NETWORK: { kind: 'unavailable', summary: 'the peer could not be reached, or the connection dropped before the exchange finished' },
  PACS_TIMEOUT: { kind: 'deadline_exceeded', summary: 'the peer did not finish the exchange within the configured timeout' },
  PACS_ASSOCIATION_REJECTED: { kind: 'unavailable', summary: 'the DICOM peer rejected the association (result, source and reason given)' },
  PACS_STOW_HTTP: { kind: 'unavailable', summary: 'the STOW-RS server answered with an HTTP status that stores nothing (status given)' },
  PACS_STOW_RESPONSE_INVALID: { kind: 'internal', summary: 'the STOW-RS response body is not the DICOM JSON the standard describes' },
  PACS_QUEUE_CLOSED: { kind: 'unavailable', summary: 'the delivery queue is closed and accepts no new items' },
  FHIR_NETWORK: { kind: 'unavailable', summary: 'write-back: the FHIR server could not be reached, or the connection dropped' },
  FHIR_TIMEOUT: { kind: 'deadline_exceeded', summary: 'write-back: the FHIR server did not answer within the configured timeout' },
  FHIR_UNAUTHORIZED: { kind: 'unavailable', summary: "write-back: the FHIR server refused clinfer's credentials (HTTP 401 or 403)" },
  FHIR_HTTP: { kind: 'unavailable', summary: 'write-back: the FHIR server answered 408, 429, 5xx, or a status below 400 other than 200 and 201 (status given)' },
  FHIR_ITEM_INVALID: { kind: 'internal', summary: 'write-back: an outbox item is not JSON or not a resource with a write-back identifier' },
  SMART_TOKEN_REFUSED: { kind: 'unavailable', summary: "write-back: the SMART token endpoint refused clinfer's client (HTTP 400, 401 or 403, OAuth error given)" },
  SMART_TOKEN_UNAVAILABLE: { kind: 'unavailable', summary: 'write-back: the SMART token endpoint could not be reached or answered without a bearer access_token' },
  INFERENCE_FAILED: { kind: 'internal', summary: 'ONNX Runtime raised an error while executing the model' },
  INTERNAL: { kind: 'internal', summary: 'an unexpected fault inside clinfer' },
} as const satisfies Record<string, { kind: ErrorKind; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
