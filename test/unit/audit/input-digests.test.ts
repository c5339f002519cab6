import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditSecret } from '../../../runtime/audit/audit-secret.js';
import { InputDigests, OFFLOAD_MIN_BYTES } from '../../../runtime/audit/input-digests.js';

const key = randomBytes(32);
const reference = (bytes: Uint8Array) => createHmac('sha256', key).update(bytes).digest('hex');
const open: InputDigests[] = [];
const digests = () => {
  const d = new InputDigests(new AuditSecret(key));
  open.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

/** `bytes` in shared memory at an odd offset, as the body reader places a request body. */
function inSharedMemory(bytes: Uint8Array): Uint8Array {
  const view = new Uint8Array(new SharedArrayBuffer(bytes.byteLength + 3), 3, bytes.byteLength);
  view.set(bytes);
  return view;
}

describe('InputDigests', () => {
  it('digests a large input on its thread, giving AuditSecret.hmac exactly: shared memory, an ordinary buffer, a slice, chunks', async () => {
    const d = digests();
    const big = randomBytes(OFFLOAD_MIN_BYTES * 3 + 17);
    const slice = randomBytes(OFFLOAD_MIN_BYTES * 4).subarray(5, OFFLOAD_MIN_BYTES + 5);
    const inputs: [string, Uint8Array | Uint8Array[], Uint8Array][] = [
      ['shared memory', inSharedMemory(big), big],
      ['an ordinary buffer', big, big],
      ['a slice of a larger buffer', slice, slice],
      ['chunks', [big.subarray(0, 1000), new Uint8Array(0), big.subarray(1000)], big],
    ];
    const got = await Promise.all(inputs.map(([, input]) => d.digest(input)));
    inputs.forEach(([what, , bytes], i) => expect(got[i], what).toBe(reference(bytes)));
    expect(d.offloaded).toBe(inputs.length);
  });

  it('digests a small input on the event loop (handing it over would cost more)', async () => {
    const d = digests();
    const small = randomBytes(OFFLOAD_MIN_BYTES - 1);
    expect(await d.digest(inSharedMemory(small))).toBe(reference(small));
    expect(await d.digest([small.subarray(0, 9), small.subarray(9)])).toBe(reference(small));
    expect(d.offloaded).toBe(0);
  });

  it('still answers, and correctly, while and after it closes: what the thread cannot give is computed here', async () => {
    const d = digests();
    const inputs = Array.from({ length: 6 }, () => randomBytes(OFFLOAD_MIN_BYTES * 8));
    const pending = inputs.map((b) => d.digest(b));
    await d.close();
    const after = randomBytes(OFFLOAD_MIN_BYTES * 2);
    expect(await Promise.all(pending)).toEqual(inputs.map(reference));
    expect(await d.digest(after)).toBe(reference(after));
  });
});
