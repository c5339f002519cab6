import { ClinferError, type ErrorCode } from '../errors/index.js';

/**
 * Errors of the PACS network side: the PACS_* codes of runtime/errors/codes.ts. Messages never hold patient
 * data: no tag values, only UIDs of SOP classes and transfer syntaxes, AE titles, hosts, ports and statuses.
 */
export type PacsErrorCode = Extract<ErrorCode, `PACS_${string}`>;

export class PacsError extends ClinferError<PacsErrorCode> {
  constructor(code: PacsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PacsError';
  }
}

export function isPacsError(value: unknown): value is PacsError {
  return value instanceof PacsError;
}

/** A loggable code for any failure: PacsError's own, else a Node system error's (ECONNREFUSED...), else 'INTERNAL'. */
export function failureCode(error: unknown): string {
  if (isPacsError(error)) return error.code;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return 'INTERNAL';
}
