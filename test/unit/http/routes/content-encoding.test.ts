import { describe, expect, it } from 'vitest';
import { acceptedEncodings } from '../../../../runtime/http/routes/content-encoding.js';

const names = (header: string | undefined) => acceptedEncodings(header).map((p) => p.encoding);

describe('acceptedEncodings: which precompressed copy an Accept-Encoding header allows', () => {
  it('prefers brotli when both are accepted equally (what Chromium and Firefox send)', () => {
    expect(names('gzip, deflate, br, zstd')).toEqual(['br', 'gzip']);
    expect(names('br')).toEqual(['br']);
    expect(names('gzip, deflate')).toEqual(['gzip']);
    expect(names('x-gzip')).toEqual(['gzip']);
  });

  it('follows q-values, refuses a coding with q=0, and reads * as every coding not named', () => {
    expect(names('br;q=0.5, gzip;q=0.8')).toEqual(['gzip', 'br']);
    expect(names('br;q=0, gzip')).toEqual(['gzip']);
    expect(names('BR ; Q=0 , GZIP')).toEqual(['gzip']);
    expect(names('*')).toEqual(['br', 'gzip']);
    expect(names('*;q=0, gzip')).toEqual(['gzip']);
    expect(names('gzip;q=nonsense, br')).toEqual(['br']);
  });

  it('offers nothing compressed to a client that accepts neither, or says nothing', () => {
    expect(names(undefined)).toEqual([]);
    expect(names('')).toEqual([]);
    expect(names('identity')).toEqual([]);
    expect(names('deflate, zstd')).toEqual([]);
    expect(names(', ;q=1,')).toEqual([]);
  });
});
