import { CodedError } from '../../adapters/coded-error.js';
import { ImagingInputError } from '../../adapters/imaging/raster.js';

/**
 * Every failure the page reports, with a stable code (the postMessage API's `error.code`) and a message
 * a clinician can act on. Codes shared with the server keep the server's meaning.
 */
export type AppErrorCode =
  | 'INVALID_IMAGE' | 'INVALID_DICOM' | 'NO_PIXEL_DATA' | 'UNSUPPORTED_TRANSFER_SYNTAX' | 'UNSUPPORTED_CHARACTER_SET' | 'IMAGE_TOO_LARGE' | 'OUT_OF_SCOPE'
  | 'INVALID_INPUT' | 'INSUFFICIENT_DATA' | 'UNSUPPORTED_INPUT' | 'MODEL_NOT_FOUND' | 'MODEL_NOT_READY' | 'UNSUPPORTED_MODEL'
  | 'BUNDLE_DIGEST_MISMATCH' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'OFFLINE' | 'SERVER_ERROR'
  | 'INSECURE_CONTEXT' | 'INFERENCE_FAILED';

export class AppError extends CodedError<AppErrorCode> {
  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'AppError';
  }
}

/** Any thrown value as an AppError (imaging errors keep their code; the rest is an inference failure). */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ImagingInputError) return new AppError(error.code, error.message, { cause: error });
  const text = error instanceof Error ? error.message : String(error);
  return new AppError('INFERENCE_FAILED', `the model could not be run: ${text.split('\n')[0]!.slice(0, 300)}`, { cause: error });
}
