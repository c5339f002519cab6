import type { Request } from 'express';
import { ClinferError } from '../errors/index.js';
import type { ImageInput } from '../predict/image-predictor.js';
import { formatOfMediaType, MEDIA_TYPES, sniffFormat } from '../imaging/sniff-format.js';
import { mediaTypeParameters, parseMultipartRelated } from '../protocol/multipart-related.js';

/** Media types read as images by /v1 predict (and, for DICOM, by STOW-RS). */
export const IMAGE_MEDIA_TYPES = [...Object.values(MEDIA_TYPES), 'image/jpg', 'multipart/related'];

export function isImageRequest(req: Request): boolean {
  return Boolean(req.is(IMAGE_MEDIA_TYPES));
}

/**
 * The images of a request body held as bytes: one image, or each part of a multipart/related body.
 * The declared type must match what the bytes are (magic numbers), and the message says which part is wrong.
 */
export function imagesOfBody(req: Request, maxParts: number): ImageInput[] {
  const contentType = req.get('content-type') ?? '';
  const body = req.body as unknown;
  if (!Buffer.isBuffer(body) || body.length === 0) throw new ClinferError('INVALID_REQUEST', 'the request body is empty; send the image bytes');
  if (mediaTypeParameters(contentType).mediaType === 'multipart/related') {
    const { type, parts } = parseMultipartRelated(contentType, body, maxParts);
    return parts.map((part, i) => checked(part.body, part.contentType ?? type ?? '', `part ${i + 1}`));
  }
  return [checked(body, contentType, 'the body')];
}

function checked(bytes: Buffer, declared: string, label: string): ImageInput {
  const claimed = formatOfMediaType(declared);
  const actual = sniffFormat(bytes);
  if (!claimed) throw new ClinferError('UNSUPPORTED_MEDIA_TYPE', `${label}: Content-Type '${declared.slice(0, 60) || 'none'}' is not an image type read here (application/dicom, image/png, image/jpeg, image/tiff, image/webp)`);
  if (!actual) {
    const code = claimed === 'dicom' ? 'INVALID_DICOM' : 'INVALID_IMAGE';
    const expected = claimed === 'dicom' ? "a DICOM Part 10 file: 128-byte preamble then 'DICM'" : `a ${claimed.toUpperCase()} signature`;
    throw new ClinferError(code, `${label} is declared ${MEDIA_TYPES[claimed]} but does not start like one (expected ${expected})`);
  }
  if (actual !== claimed) throw new ClinferError('INVALID_REQUEST', `${label} is declared ${MEDIA_TYPES[claimed]} but holds ${actual.toUpperCase()} data`);
  return { bytes, format: actual, label };
}
