import { randomBytes } from 'node:crypto';

/** A STOW-RS request body (PS3.18 10.5.1.1): multipart/related, one application/dicom part per instance. */
export interface MultipartBody {
  readonly contentType: string;
  readonly body: Uint8Array;
}

const encoder = new TextEncoder();

export function multipartRelated(instances: readonly Uint8Array[], boundary = `clinfer-${randomBytes(16).toString('hex')}`): MultipartBody {
  const head = encoder.encode(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
  const between = encoder.encode('\r\n');
  const tail = encoder.encode(`--${boundary}--\r\n`);
  const length = instances.reduce((n, part) => n + head.length + part.length + between.length, tail.length);
  const body = new Uint8Array(length);
  let offset = 0;
  for (const part of instances) {
    for (const chunk of [head, part, between]) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
  }
  body.set(tail, offset);
  return { contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, body };
}
