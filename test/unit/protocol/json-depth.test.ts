import { describe, expect, it } from 'vitest';
import { checkJsonDepth, MAX_JSON_DEPTH } from '../../../runtime/protocol/json-depth.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('checkJsonDepth', () => {
  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses one more, naming the limit`, () => {
    expect(() => checkJsonDepth(bytes(nested(MAX_JSON_DEPTH)))).not.toThrow();
    expect(() => checkJsonDepth(bytes(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`))).not.toThrow();
    expect(() => checkJsonDepth(bytes(nested(MAX_JSON_DEPTH + 1)))).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringMatching(/deeper than 64 levels/) }));
    expect(() => checkJsonDepth(bytes(`{"a":{"b":${nested(MAX_JSON_DEPTH - 1)}}}`))).toThrow(/deeper than 64/);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(() => checkJsonDepth(bytes(JSON.stringify({ s: '['.repeat(1000) })))).not.toThrow();
    expect(() => checkJsonDepth(bytes(JSON.stringify({ s: `\\"${'{'.repeat(1000)}"\\` })))).not.toThrow();
    // An escaped quote does not end the string, so the brackets after it are still inside it.
    expect(() => checkJsonDepth(bytes(`["\\"${'['.repeat(100)}"]`))).not.toThrow();
  });

  it('refuses 30 million levels at the 65th, without reading further', () => {
    const deep = Buffer.alloc(60_000_000, 0x5b);
    expect(() => checkJsonDepth(deep)).toThrow(/at byte 64\)/);
  });
});
