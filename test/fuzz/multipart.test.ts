import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isClinferError } from '../../runtime/errors/index.js';
import { parseMultipartRelated } from '../../runtime/protocol/multipart-related.js';
import { runs } from './runs.js';

/** multipart/related (STOW-RS, multi-image predict): round trips, and any bytes answer or refuse typed. */
const build = (boundary: string, parts: { type?: string; body: Uint8Array }[]) => Buffer.concat([
  Buffer.from('preamble to ignore\r\n'),
  ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`), Buffer.from(p.body), Buffer.from('\r\n')]),
  Buffer.from(`--${boundary}--\r\nepilogue`),
]);

describe('multipart/related', () => {
  it('gives back every part byte for byte, whatever the part holds (even CRLF and dashes)', () => {
    const boundary = 'b0undary-x';
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 6 }), (bodies) => {
      fc.pre(bodies.every((b) => !Buffer.from(b).includes(`\r\n--${boundary}`)));
      const parsed = parseMultipartRelated(`multipart/related; type="application/dicom"; boundary="${boundary}"`, build(boundary, bodies.map((body) => ({ type: 'application/dicom', body }))), 100);
      expect(parsed.type).toBe('application/dicom');
      expect(parsed.parts.map((p) => Buffer.from(p.body).toString('hex'))).toEqual(bodies.map((b) => Buffer.from(b).toString('hex')));
      expect(parsed.parts.every((p) => p.contentType === 'application/dicom')).toBe(true);
    }), { numRuns: runs(500) });
  });

  it('refuses with a typed error naming the problem, never anything else, for mutated and random bodies', () => {
    const good = build('zz', [{ type: 'application/dicom', body: Buffer.from('DICM-ish content') }, { body: Buffer.from('x') }]);
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.nat(good.length), fc.nat(good.length), fc.uint8Array({ maxLength: 8 })).map(([a, b, insert]) => Buffer.concat([good.subarray(0, Math.min(a, b)), Buffer.from(insert), good.subarray(Math.max(a, b))])),
    ), (body) => {
      try {
        parseMultipartRelated('multipart/related; boundary=zz', body, 5);
      } catch (error) {
        expect(isClinferError(error)).toBe(true);
      }
    }), { numRuns: runs(3000) });
  });

  it('says what is wrong', () => {
    const parse = (type: string, body: string, max = 10) => () => parseMultipartRelated(type, Buffer.from(body), max);
    expect(parse('multipart/related', '--a\r\n\r\nx\r\n--a--')).toThrow(/no boundary parameter/);
    expect(parse('application/json', '')).toThrow(/multipart\/related expected/);
    expect(parse('multipart/related; boundary=a', '--a\r\n\r\nx')).toThrow(/part 1 is not closed by a boundary: the body is truncated/);
    expect(parse('multipart/related; boundary=a', 'nothing')).toThrow(/boundary '--a' not found/);
    expect(parse('multipart/related; boundary=a', '--a\r\n\r\n1\r\n--a\r\n\r\n2\r\n--a--', 1)).toThrow(/more than 1 parts/);
  });
});
