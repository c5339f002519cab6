import { createHash } from 'node:crypto';

/** `prev` of the very first line of a log. */
export const GENESIS = '0'.repeat(64);

/** sha256 over the previous line's hash and this line's content: editing any line breaks every later one. */
export function chainHash(prev: string, body: Record<string, unknown>): string {
  return createHash('sha256').update(prev).update('\n').update(JSON.stringify(body)).digest('hex');
}
