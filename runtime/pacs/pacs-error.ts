/**
 * Errors of the PACS network side. Same shape as ClinferError (a stable `code`, a `cause`, a message that
 * never holds patient data: no tag values, only UIDs of SOP classes and transfer syntaxes, AE titles, hosts,
 * ports and statuses). Kept here until the codes are merged into runtime/errors/codes.ts.
 */
export const PACS_ERROR_CODES = {
  PACS_INVALID_PART10: { kind: 'invalid_argument', summary: 'an instance is not a DICOM Part 10 file (no preamble, DICM prefix or file meta)' },
  PACS_DESTINATION_UNKNOWN: { kind: 'not_found', summary: 'the delivery queue has no destination of that name' },
  PACS_NETWORK: { kind: 'unavailable', summary: 'the peer could not be reached, or the connection dropped before the exchange finished' },
  PACS_TIMEOUT: { kind: 'deadline_exceeded', summary: 'the peer did not finish the exchange within the configured timeout' },
  PACS_ASSOCIATION_REJECTED: { kind: 'unavailable', summary: 'the DICOM peer rejected the association (result, source and reason given)' },
  PACS_STOW_HTTP: { kind: 'unavailable', summary: 'the STOW-RS server answered with an HTTP status that stores nothing (status given)' },
  PACS_STOW_RESPONSE_INVALID: { kind: 'internal', summary: 'the STOW-RS response body is not the DICOM JSON the standard describes' },
  PACS_QUEUE_CLOSED: { kind: 'unavailable', summary: 'the delivery queue is closed and accepts no new items' },
} as const;

export type PacsErrorCode = keyof typeof PACS_ERROR_CODES;

export class PacsError extends Error {
  readonly code: PacsErrorCode;

  constructor(code: PacsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PacsError';
    this.code = code;
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
