import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuditSecret } from '../../../runtime/audit/audit-secret.js';
import { auditFolder, openLog } from './audit-fixture.js';

const key = randomBytes(32);
const reference = (bytes: Uint8Array) => createHmac('sha256', key).update(bytes).digest('hex');

describe('AuditSecret.hmac', () => {
  it('of chunks is exactly the HMAC-SHA256 of their concatenation (gRPC tensors are not joined first)', () => {
    const secret = new AuditSecret(key);
    const parts = [randomBytes(13), new Uint8Array(0), new Uint8Array(randomBytes(4096).buffer, 7, 1000), randomBytes(1)];
    const joined = Buffer.concat(parts);
    expect(secret.hmac(parts)).toBe(reference(joined));
    expect(secret.hmac(joined)).toBe(reference(joined));
    expect(secret.hmac([joined])).toBe(reference(joined));
    // A different cut of the same bytes gives the same digest; other bytes do not.
    expect(secret.hmac([joined.subarray(0, 500), joined.subarray(500)])).toBe(reference(joined));
    expect(secret.hmac([joined.subarray(1)])).not.toBe(reference(joined));
  });

  it('of no chunks is the HMAC of no bytes, and strings are hashed as UTF-8', () => {
    const secret = new AuditSecret(key);
    expect(secret.hmac([])).toBe(reference(new Uint8Array(0)));
    expect(secret.hmac('r-é')).toBe(reference(Buffer.from('r-é', 'utf8')));
  });

  it('is HMAC-SHA256 for every size and key length: the reused one-shot buffers (values up to 64 KiB) and createHmac (larger) agree', () => {
    for (const k of [key, randomBytes(64), randomBytes(65), randomBytes(200)]) {
      const secret = new AuditSecret(k);
      const expected = (v: Uint8Array | string) => createHmac('sha256', k).update(v).digest('hex');
      // Longest first, so a shorter value after it would show any bytes left over from the one before.
      for (const n of [65_537, 65_536, 65_535, 1024, 64, 1, 0]) {
        const bytes = randomBytes(n);
        expect(secret.hmac(bytes), `${n} bytes, key of ${k.length}`).toBe(expected(bytes));
        expect(secret.hmac([bytes.subarray(0, n >> 1), bytes.subarray(n >> 1)])).toBe(expected(bytes));
      }
      for (const text of ['é'.repeat(40_000), 'x'.repeat(21_846), 'a1b2c3d4-e5f6-7890-abcd-ef0123456789', '1.2.840.10008.5.1.4.1.1.2', '\u{1F600}', '']) {
        expect(secret.hmac(text), `a string of ${text.length}`).toBe(expected(Buffer.from(text, 'utf8')));
      }
    }
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new AuditSecret(randomBytes(31))).toThrow(/at least 32 bytes, got 31/);
  });
});

describe('an audit entry with its input in chunks', () => {
  it('writes the same input_hmac as the joined input', async () => {
    const f = auditFolder();
    const secret = new AuditSecret(key);
    const log = openLog(f.path, undefined, { secret });
    const parts = [randomBytes(52), randomBytes(8)];
    const base = { action: 'predict' as const, caller: 'c', model: 'm', outcome: 'success' };
    await log.append({ ...base, secret: { input: parts } });
    await log.append({ ...base, secret: { input: Buffer.concat(parts) } });
    await log.close();
    const [a, b] = readFileSync(f.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { input_hmac: string });
    expect(a!.input_hmac).toBe(reference(Buffer.concat(parts)));
    expect(b!.input_hmac).toBe(a!.input_hmac);
  });
});
