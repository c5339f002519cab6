import { describe, expect, it } from 'vitest';
import { storeAnswer, type StoredOutcome } from '../../../runtime/http/stow-answer.js';

/** PS3.18 10.5.3: the STOW-RS status follows from the Store Instances Response it sends. */
const ids = (n: number) => ({ sopClassUID: '1.2.840.10008.5.1.4.1.1.1', sopInstanceUID: `1.2.3.${n}`, studyInstanceUID: '1.2.3' });
const accepted = (n: number): StoredOutcome => ({ ...ids(n), status: 'accepted' });
const unrouted = (n: number): StoredOutcome => ({ ...ids(n), status: 'unrouted' });
const failed = (n: number, code: string): StoredOutcome => ({ ...ids(n), status: 'failed', code });

describe('storeAnswer', () => {
  it('is 200 when every instance is stored without a warning, unrouted ones included (no Warning Reason fits them)', () => {
    const { status, body } = storeAnswer([accepted(1), unrouted(2)], undefined);
    expect(status).toBe(200);
    const items = (body['00081199'] as { Value: Record<string, unknown>[] }).Value;
    expect(items).toHaveLength(2);
    for (const item of items) expect(item).not.toHaveProperty('00081196');
  });

  it('is 202 when any stored instance carries a Warning Reason, even if none failed', () => {
    const { status, body } = storeAnswer([accepted(1), { ...accepted(2), warningReason: 0xb006 }], '1.2.3');
    expect(status).toBe(202);
    expect(body['0020000D']).toEqual({ vr: 'UI', Value: ['1.2.3'] });
    expect((body['00081199'] as { Value: Record<string, unknown>[] }).Value[1]!['00081196']).toEqual({ vr: 'US', Value: [0xb006] });
  });

  it('is 202 when some failed, 409 when all failed, with the failure reasons of PS3.4', () => {
    expect(storeAnswer([accepted(1), failed(2, 'INVALID_DICOM')], undefined).status).toBe(202);
    const all = storeAnswer([failed(1, 'UNSUPPORTED_CHARACTER_SET'), failed(2, 'INVALID_REQUEST'), failed(3, 'QUEUE_FULL'), failed(4, 'INTERNAL')], undefined);
    expect(all.status).toBe(409);
    expect((all.body['00081198'] as { Value: Record<string, { Value: number[] }>[] }).Value.map((i) => i['00081197']!.Value[0])).toEqual([0xc000, 0xa900, 0xa700, 0x0110]);
    expect(all.body).not.toHaveProperty('00081199');
  });
});
