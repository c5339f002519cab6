/**
 * Why a result object could not be built. Every code is caused by the caller's input (sources, model identity,
 * findings or masks); the message names the input field and says what was expected and what came. Messages
 * never hold patient data: they name fields and indexes, not values read from the source instance.
 */
export const DICOM_RESULT_ERROR_CODES = {
  /** `sources` is empty, mixes studies or patients, or lacks what the object needs (image geometry, UIDs). */
  RESULT_INVALID_SOURCES: 'the source instances cannot be referenced by one result object',
  /** A finding is malformed: unknown source index, frame out of range, score not a probability. */
  RESULT_INVALID_FINDING: 'a classification finding is malformed',
  /** A mask has the wrong size, or holds a value that no segment declares. */
  RESULT_INVALID_MASK: 'a segmentation mask does not fit its source frame or the declared segments',
  /** No mask holds any segment: a DICOM SEG needs at least one frame. */
  RESULT_EMPTY_SEGMENTATION: 'no mask holds any segment',
  /** The model identity is malformed (digest not sha-256 hex, empty name or version). */
  RESULT_INVALID_MODEL: 'the model identity is malformed',
  /** A value does not fit its DICOM value representation (too long, forbidden characters, bad UID root). */
  RESULT_INVALID_VALUE: 'a value does not fit its DICOM value representation',
} as const;

export type DicomResultErrorCode = keyof typeof DICOM_RESULT_ERROR_CODES;

export class DicomResultError extends Error {
  constructor(
    readonly code: DicomResultErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DicomResultError';
  }
}
