import { readFileSync } from 'node:fs';
import { status as grpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { CodedError, isCodedError } from '../../../adapters/coded-error.js';
import { CdsRequestError, PrefetchUnavailable } from '../../../adapters/cds-hooks/gather-resources.js';
import { FhirInputError } from '../../../adapters/fhir/extract-patients.js';
import { DicomResultError, type DicomResultErrorCode } from '../../../adapters/imaging/dicom-results/index.js';
import { ImagingInputError, type ImagingInputCode } from '../../../adapters/imaging/raster.js';
import { RecordsError } from '../../../adapters/tabular/records.js';
import { SmartTokenError } from '../../../runtime/auth/smart-backend-client.js';
import { ClinferError, ERROR_CODES, type ErrorCode, httpStatusFromError, toClinferError } from '../../../runtime/errors/index.js';
import { grpcStatusFromError } from '../../../runtime/errors/grpc-status.js';
import { FhirWriteError } from '../../../runtime/pacs/fhir-destination.js';
import { PacsError } from '../../../runtime/pacs/pacs-error.js';

// The adapters cannot import runtime/errors/codes.ts; their code types must still be listed there (tsc fails otherwise).
type Unlisted = Exclude<DicomResultErrorCode | ImagingInputCode | RecordsError['code'] | FhirInputError['code'] | CdsRequestError['code'] | PrefetchUnavailable['code'], ErrorCode>;
const everyAdapterCodeIsListed: [Unlisted] extends [never] ? true : false = true;

/** The error codes are a public contract: pinned here, each documented, each mapped to one status. */
describe('error codes', () => {
  it('are the pinned list', () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual([
      'AUDIT_UNAVAILABLE', 'AUTH_UNAVAILABLE', 'BODY_TOO_LARGE', 'BUNDLE_INVALID', 'BUNDLE_REVOKED', 'BUNDLE_SUPERSEDED', 'CDS_SERVICE_NOT_FOUND',
      'CONFIG_INVALID', 'DEADLINE_EXCEEDED', 'EXECUTION_TIMEOUT', 'FHIR_HTTP', 'FHIR_ITEM_INVALID', 'FHIR_NETWORK', 'FHIR_SERVER_NOT_ALLOWED',
      'FHIR_TIMEOUT', 'FHIR_UNAUTHORIZED', 'FORBIDDEN', 'IMAGE_TOO_LARGE', 'INBOX_UNAVAILABLE', 'INFERENCE_FAILED', 'INSUFFICIENT_DATA', 'INTERNAL',
      'INVALID_DICOM', 'INVALID_IMAGE', 'INVALID_INPUT', 'INVALID_OUTPUT', 'INVALID_PARAMETER', 'INVALID_REQUEST', 'MODEL_CONTROL_DISABLED',
      'MODEL_NOT_FOUND', 'MODEL_NOT_READY', 'NOT_ACCEPTABLE', 'NOT_AN_IMAGING_MODEL', 'NOT_A_TABULAR_MODEL', 'NO_PIXEL_DATA', 'OUTBOX_UNAVAILABLE',
      'OUTCOMES_DISABLED', 'OUTPUT_TOO_LARGE_FOR_JSON', 'OUT_OF_SCOPE', 'PACS_ASSOCIATION_REJECTED', 'PACS_DESTINATION_UNKNOWN',
      'PACS_INVALID_PART10', 'PACS_NETWORK', 'PACS_QUEUE_CLOSED', 'PACS_STOW_HTTP', 'PACS_STOW_RESPONSE_INVALID', 'PACS_TIMEOUT',
      'PREDICTION_NOT_FOUND', 'PREFETCH_UNAVAILABLE', 'QUEUE_FULL', 'RATE_LIMITED', 'REPORT_INVALID', 'REQUEST_CANCELLED',
      'RESULT_EMPTY_SEGMENTATION', 'RESULT_INVALID_FINDING', 'RESULT_INVALID_MASK', 'RESULT_INVALID_MODEL', 'RESULT_INVALID_SOURCES',
      'RESULT_INVALID_VALUE', 'ROUTE_NOT_FOUND', 'SEQUENCE_LIMIT', 'SEQUENCE_NOT_FOUND', 'SERVER_SHUTTING_DOWN', 'SMART_TOKEN_REFUSED',
      'SMART_TOKEN_UNAVAILABLE', 'UNAUTHENTICATED', 'UNSUPPORTED_CHARACTER_SET', 'UNSUPPORTED_DATATYPE', 'UNSUPPORTED_MEDIA_TYPE',
      'UNSUPPORTED_TRANSFER_SYNTAX', 'VALIDATION_REQUIRED', 'VERSION_EXISTS', 'VERSION_NOT_FOUND', 'WORKER_EXITED',
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

  it('are answered by one mapping for every domain error, all of them one coded base', () => {
    expect(everyAdapterCodeIsListed).toBe(true);
    const answers = [
      [new RecordsError(["records[0]: 'age' is missing"]), 400, 'INVALID_INPUT'],
      [new FhirInputError("the body must be a FHIR Bundle (resourceType 'Bundle')"), 400, 'INVALID_REQUEST'],
      [new CdsRequestError("'hookInstance' (a UUID) is required"), 400, 'INVALID_REQUEST'],
      [new PrefetchUnavailable("prefetch 'patient' was not sent"), 412, 'PREFETCH_UNAVAILABLE'],
      [new ImagingInputError('IMAGE_TOO_LARGE', 'the PNG image has more than 10 pixels'), 413, 'IMAGE_TOO_LARGE'],
      [new ImagingInputError('UNSUPPORTED_TRANSFER_SYNTAX', 'no decoder for 1.2.3'), 415, 'UNSUPPORTED_TRANSFER_SYNTAX'],
      [new DicomResultError('RESULT_INVALID_MASK', 'masks[0]: 4 values, 6 expected'), 400, 'RESULT_INVALID_MASK'],
      [new PacsError('PACS_TIMEOUT', 'the peer did not answer'), 504, 'PACS_TIMEOUT'],
      [new FhirWriteError('FHIR_NETWORK', 'POST RiskAssessment failed'), 503, 'FHIR_NETWORK'],
      [new SmartTokenError('SMART_TOKEN_REFUSED', 'the token endpoint refused the client'), 503, 'SMART_TOKEN_REFUSED'],
      [new ClinferError('QUEUE_FULL', 'the queue is full'), 429, 'QUEUE_FULL'],
    ] as const;
    for (const [error, status, code] of answers) {
      expect(isCodedError(error), error.name).toBe(true);
      expect([httpStatusFromError(error), error.code], error.name).toEqual([status, code]);
      const answered = toClinferError(error);
      expect([answered.code, answered.message, answered.cause], error.name).toEqual([code, error.message, error instanceof ClinferError ? undefined : error]);
    }
    expect(grpcStatusFromError(new RecordsError(['x']))).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(grpcStatusFromError(new PacsError('PACS_NETWORK', 'x'))).toBe(grpcStatus.UNAVAILABLE);
  });

  it('leave anything else a 500 INTERNAL that does not repeat its text, an unlisted code too', () => {
    const unlisted = new CodedError('NOT_A_CODE', 'secret detail');
    for (const error of [new Error('secret detail'), unlisted, { code: 'INVALID_INPUT', message: 'not an error' }]) {
      expect(httpStatusFromError(error)).toBe(500);
      expect([toClinferError(error).code, toClinferError(error).message]).toEqual(['INTERNAL', 'internal error']);
    }
    expect(grpcStatusFromError(unlisted)).toBe(grpcStatus.INTERNAL);
  });
});
