import { hash } from 'node:crypto';

/** `prev` of the very first line of a log. */
export const GENESIS = '0'.repeat(64);

/**
 * sha256 over the previous line's hash and this line's content (its JSON without `hash`): editing any
 * line breaks every later one. The writer hashes the very JSON text it writes (chainHashOfJson); the
 * verifier re-serialises the parsed line, which gives the same text back (JSON.stringify of what
 * JSON.parse read from JSON.stringify's output is that output).
 */
export function chainHash(prev: string, body: Record<string, unknown>): string {
  return chainHashOfJson(prev, JSON.stringify(body));
}

export function chainHashOfJson(prev: string, json: string): string {
  return hash('sha256', `${prev}\n${json}`, 'hex');
}
