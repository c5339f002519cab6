import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ClinferError, httpStatusFromError, toClinferError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';

/** Errors raised by express's body parser (http-errors), by `type`. */
function fromBodyParser(error: { type?: string; limit?: number; message?: string }): ClinferError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new ClinferError('BODY_TOO_LARGE', `the request body exceeds the limit of ${error.limit} bytes`);
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
    const error = (raw && typeof raw === 'object' && fromBodyParser(raw)) || toClinferError(raw);
    const status = httpStatusFromError(error);
    if (status >= 500 && error.kind === 'internal') {
      const cause = error.cause instanceof Error ? error.cause : error;
      log.error('internal error', { code: error.code, route: req.route?.path ?? req.path, error: cause.message.split('\n')[0], stack: cause.stack?.split('\n').slice(1, 6).join(' | ') });
    }
    if (res.headersSent) return void res.end();
    if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
    res.status(status).json({ error: error.message, code: error.code });
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ClinferError('ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.path.slice(0, 200)}`));
};
