/**
 * The one base of clinfer's errors: a stable `code` a caller matches on (never the text), a message safe to
 * show a caller (it never holds patient data: it names the input, field or file and what was expected),
 * and the `cause`. Every domain error extends it with its own codes: the adapters' (images, DICOM results,
 * records, FHIR, CDS Hooks), the runtime's ClinferError and its subclasses, the browser app's AppError.
 *
 * It lives in adapters/ because adapters never import runtime/. The codes themselves, with the status each
 * answers, are listed once, in runtime/errors/codes.ts (docs/errors.md); runtime/errors/http-status.ts and
 * grpc-status.ts map any coded error whose code is listed there, so a route never re-labels one.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

export function isCodedError(value: unknown): value is CodedError {
  return value instanceof CodedError;
}
