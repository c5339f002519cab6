import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClinferError, ERROR_CODES, httpStatusFromError } from '../../../runtime/errors/index.js';

/** The error codes are a public contract: pinned here, each documented, each mapped to one status. */
describe('error codes', () => {
  it('are the pinned list', () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual([
      'AUDIT_UNAVAILABLE', 'AUTH_UNAVAILABLE', 'BODY_TOO_LARGE', 'BUNDLE_INVALID', 'BUNDLE_REVOKED', 'BUNDLE_SUPERSEDED', 'CDS_SERVICE_NOT_FOUND', 'CONFIG_INVALID', 'DEADLINE_EXCEEDED', 'EXECUTION_TIMEOUT', 'FHIR_SERVER_NOT_ALLOWED', 'FORBIDDEN',
      'IMAGE_TOO_LARGE', 'INBOX_UNAVAILABLE', 'INFERENCE_FAILED', 'INSUFFICIENT_DATA', 'INTERNAL', 'INVALID_DICOM', 'INVALID_IMAGE', 'INVALID_INPUT',
      'INVALID_OUTPUT', 'INVALID_PARAMETER', 'INVALID_REQUEST', 'MODEL_CONTROL_DISABLED', 'MODEL_NOT_FOUND', 'MODEL_NOT_READY',
      'NOT_ACCEPTABLE', 'NOT_AN_IMAGING_MODEL', 'NOT_A_TABULAR_MODEL', 'NO_PIXEL_DATA', 'OUTBOX_UNAVAILABLE', 'OUTCOMES_DISABLED', 'OUTPUT_TOO_LARGE_FOR_JSON', 'OUT_OF_SCOPE', 'PREDICTION_NOT_FOUND', 'PREFETCH_UNAVAILABLE', 'QUEUE_FULL',
      'RATE_LIMITED', 'REPORT_INVALID', 'REQUEST_CANCELLED', 'ROUTE_NOT_FOUND', 'SEQUENCE_LIMIT', 'SEQUENCE_NOT_FOUND', 'SERVER_SHUTTING_DOWN', 'UNAUTHENTICATED',
      'UNSUPPORTED_CHARACTER_SET', 'UNSUPPORTED_DATATYPE', 'UNSUPPORTED_MEDIA_TYPE', 'UNSUPPORTED_TRANSFER_SYNTAX', 'VALIDATION_REQUIRED', 'VERSION_EXISTS',
      'VERSION_NOT_FOUND', 'WORKER_EXITED',
    ]);
  });

  it('are each documented in docs/errors.md with their status', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      const status = httpStatusFromError(new ClinferError(code, 'x'));
      expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    }
  });

  it('map to statuses in one place', () => {
    expect(httpStatusFromError(new ClinferError('INVALID_INPUT', 'x'))).toBe(400);
    expect(httpStatusFromError(new ClinferError('MODEL_NOT_FOUND', 'x'))).toBe(404);
    expect(httpStatusFromError(new ClinferError('MODEL_NOT_READY', 'x'))).toBe(503);
    expect(httpStatusFromError(new ClinferError('UNSUPPORTED_DATATYPE', 'x'))).toBe(501);
    expect(httpStatusFromError(new ClinferError('BODY_TOO_LARGE', 'x'))).toBe(413);
    expect(httpStatusFromError(new ClinferError('QUEUE_FULL', 'x'))).toBe(429);
    expect(httpStatusFromError(new ClinferError('DEADLINE_EXCEEDED', 'x'))).toBe(504);
    expect(httpStatusFromError(new ClinferError('OUT_OF_SCOPE', 'x'))).toBe(422);
    expect(httpStatusFromError(new ClinferError('INSUFFICIENT_DATA', 'x'))).toBe(422);
    expect(httpStatusFromError(new Error('boom'))).toBe(500);
  });
});
