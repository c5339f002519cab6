import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ClinferError, httpStatusFromError, toClinferError, type ErrorKind } from '../errors/index.js';
import type { Logger } from '../log/logger.js';

const FHIR_ISSUE_TYPE: Record<ErrorKind, string> = {
  invalid_argument: 'invalid', not_found: 'not-found', unavailable: 'transient', unsupported: 'not-supported',
  unsupported_media_type: 'not-supported', payload_too_large: 'too-costly', resource_exhausted: 'throttled',
  deadline_exceeded: 'timeout', cancelled: 'incomplete', internal: 'exception', precondition_failed: 'not-found',
  unauthenticated: 'login', permission_denied: 'forbidden', conflict: 'duplicate', unprocessable: 'business-rule', not_acceptable: 'not-supported',
};

/** Errors raised by express's body parser (http-errors), by `type`. */
function fromBodyParser(error: { type?: string; limit?: number; message?: string }): ClinferError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new ClinferError('BODY_TOO_LARGE', `the request body exceeds the limit of ${error.limit} bytes`);
    case 'entity.parse.failed':
      return new ClinferError('INVALID_REQUEST', `the request body is not valid JSON (${(error.message ?? '').slice(0, 120)})`);
    case 'request.aborted':
      return new ClinferError('INVALID_REQUEST', 'the client aborted the request body');
    case 'request.size.invalid':
      return new ClinferError('INVALID_REQUEST', 'the request body length does not match Content-Length');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ClinferError('INVALID_REQUEST', `unsupported request encoding: ${error.message ?? ''}`.trim());
    default:
      return undefined;
  }
}

/** Answers every error as {"error": message, "code": CODE}; only real faults are 500, and logged. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (raw, req, res, _next) => {
    const error: ClinferError = (raw && typeof raw === 'object' && fromBodyParser(raw)) || toClinferError(raw);
    const status = httpStatusFromError(error);
    if (status >= 500 && error.kind === 'internal') {
      const cause = error.cause instanceof Error ? error.cause : error;
      log.error('internal error', { code: error.code, request_id: res.locals.requestId, route: req.route?.path ?? req.path, error: cause.message.split('\n')[0], stack: cause.stack?.split('\n').slice(1, 6).join(' | ') });
    }
    if (res.headersSent) return void res.end();
    if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
    if (error.code === 'UNAUTHENTICATED') res.set('WWW-Authenticate', 'Bearer realm="clinfer"');
    if (req.is('application/fhir+json')) {
      // A FHIR client gets a FHIR answer: an OperationOutcome with the same status, code and message.
      res.status(status).type('application/fhir+json').send(JSON.stringify({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: FHIR_ISSUE_TYPE[error.kind], details: { text: error.code }, diagnostics: error.message }],
      }));
      return;
    }
    res.status(status).json({ error: error.message, code: error.code });
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ClinferError('ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.path.slice(0, 200)}`));
};
