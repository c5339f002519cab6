import { CodedError } from '../../coded-error.js';

/**
 * Why a result object could not be built: the RESULT_* codes of runtime/errors/codes.ts (listed and
 * described there, once). Every code is caused by the caller's input (sources, model identity, findings or
 * masks); the message names the input field and says what was expected and what came. Messages never hold
 * patient data: they name fields and indexes, not values read from the source instance.
 */
export type DicomResultErrorCode =
  | 'RESULT_INVALID_SOURCES'
  | 'RESULT_INVALID_FINDING'
  | 'RESULT_INVALID_MASK'
  | 'RESULT_EMPTY_SEGMENTATION'
  | 'RESULT_INVALID_MODEL'
  | 'RESULT_INVALID_VALUE';

export class DicomResultError extends CodedError<DicomResultErrorCode> {
  constructor(code: DicomResultErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DicomResultError';
  }
}
