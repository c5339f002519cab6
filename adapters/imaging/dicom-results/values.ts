import { DicomResultError } from './errors.js';

/** Decimal String (DS): at most 16 characters, so long fractions lose their last digits. */
export function formatDecimalString(value: number, field: string): string {
  if (!Number.isFinite(value)) throw new DicomResultError('RESULT_INVALID_VALUE', `${field}: expected a finite number, got ${value}`);
  const plain = String(value);
  if (plain.length <= 16) return plain;
  for (let precision = 15; precision >= 1; precision--) {
    const text = value.toPrecision(precision).replace(/\.?0+(?=e|$)/, '');
    if (text.length <= 16) return text;
  }
  throw new DicomResultError('RESULT_INVALID_VALUE', `${field}: ${value} does not fit in 16 characters`);
}

/** Integer String (IS): a signed 32-bit integer. */
export function formatIntegerString(value: number, field: string): string {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new DicomResultError('RESULT_INVALID_VALUE', `${field}: expected a 32-bit integer, got ${value}`);
  }
  return String(value);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Date (DA) and time (TM) in UTC; the objects carry Timezone Offset From UTC +0000 to say so. */
export function dicomDate(at: Date): string {
  return `${pad(at.getUTCFullYear(), 4)}${pad(at.getUTCMonth() + 1, 2)}${pad(at.getUTCDate(), 2)}`;
}

export function dicomTime(at: Date): string {
  return `${pad(at.getUTCHours(), 2)}${pad(at.getUTCMinutes(), 2)}${pad(at.getUTCSeconds(), 2)}.${pad(at.getUTCMilliseconds(), 3)}`;
}

export function dicomDateTime(at: Date): string {
  return `${dicomDate(at)}${dicomTime(at)}+0000`;
}

export const UTC_OFFSET = '+0000';

/**
 * Shortens descriptive text to a VR's limit (in characters, as PS3.5 counts them for UTF-8), ending with an
 * ellipsis. Only for text a reader looks at (descriptions, labels); identifiers are never shortened.
 */
export function fitText(text: string, maxChars: number): string {
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 1).join('')}…`;
}

const utf8 = new TextEncoder();

/**
 * Shortens descriptive text to at most `maxBytes` bytes of UTF-8, cutting between characters (never inside
 * one) and ending with an ellipsis, for values that readers size in bytes (a 64-byte LO buffer).
 */
export function fitBytes(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  const budget = maxBytes - utf8.encode('…').length;
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = utf8.encode(char).length;
    if (used + size > budget) break;
    out += char;
    used += size;
  }
  return `${out}…`;
}
