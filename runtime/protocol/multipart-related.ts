import { ClinferError } from '../errors/index.js';

export interface MultipartPart {
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export interface MultipartRelated {
  /** The `type` parameter of the body's Content-Type (e.g. application/dicom), lower case. */
  readonly type: string | undefined;
  readonly parts: MultipartPart[];
}

/**
 * Reads a `multipart/related` body (RFC 2387; DICOMweb STOW-RS, PS3.18 8.6) already held in memory under
 * the body size limit. Parts are views into the body, not copies. Every mistake names what was expected.
 */
export function parseMultipartRelated(contentType: string, body: Buffer, maxParts: number): MultipartRelated {
  const params = mediaTypeParameters(contentType);
  if (params.mediaType !== 'multipart/related') throw bad(`Content-Type is '${params.mediaType}', multipart/related expected`);
  const boundary = params.values.boundary;
  if (!boundary) throw bad('the multipart/related Content-Type has no boundary parameter');
  if (boundary.length > 70) throw bad('the multipart boundary is longer than 70 characters (RFC 2046)');
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) throw bad(`the body holds no part: boundary '--${boundary.slice(0, 40)}' not found`);
  const parts: MultipartPart[] = [];
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break; // "--": the closing delimiter.
    // Transport padding then CRLF after the delimiter.
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    if (body[at] === 0x0d && body[at + 1] === 0x0a) at += 2;
    else throw bad(`part ${parts.length + 1}: the boundary line does not end with CRLF`);
    const headerEnd = body.indexOf('\r\n\r\n', at);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), at);
    if (next < 0) throw bad(`part ${parts.length + 1} is not closed by a boundary: the body is truncated`);
    let headers: Record<string, string> = {};
    let bodyStart = at;
    if (body[at] === 0x0d && body[at + 1] === 0x0a) {
      bodyStart = at + 2; // No headers.
    } else {
      if (headerEnd < 0 || headerEnd > next) throw bad(`part ${parts.length + 1}: its headers do not end with an empty line`);
      headers = parseHeaders(body.subarray(at, headerEnd).toString('latin1'), parts.length + 1);
      bodyStart = headerEnd + 4;
    }
    if (parts.length >= maxParts) throw new ClinferError('BODY_TOO_LARGE', `the multipart body holds more than ${maxParts} parts (the server's maxParts)`);
    parts.push({ headers, contentType: headers['content-type'], body: body.subarray(bodyStart, next) });
    at = next + 2;
  }
  if (parts.length === 0) throw bad('the multipart body holds no part');
  return { type: params.values.type?.toLowerCase(), parts };
}

function parseHeaders(text: string, index: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw bad(`part ${index}: header line '${line.slice(0, 40)}' has no name`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `type/subtype; a=b; c="d"` -> the media type and its parameters (names lower case, quotes removed). */
export function mediaTypeParameters(contentType: string): { mediaType: string; values: Record<string, string> } {
  const [first, ...rest] = splitParameters(contentType);
  const values: Record<string, string> = {};
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    let value = item.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    values[item.slice(0, eq).trim().toLowerCase()] = value;
  }
  return { mediaType: (first ?? '').trim().toLowerCase(), values };
}

/** Splits on semicolons outside quoted strings. */
function splitParameters(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

const bad = (message: string) => new ClinferError('INVALID_REQUEST', message);
