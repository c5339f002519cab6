import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SegmentWriter } from '../../../runtime/audit/segment-writer.js';
import { auditFolder } from './audit-fixture.js';

function writer(path: string) {
  const durable: [number, string][] = [];
  const failed: unknown[] = [];
  let reason: unknown;
  const w = new SegmentWriter(path, Date.now, {
    durable: (seq, hash) => durable.push([seq, hash]),
    failed: (error) => {
      failed.push(error);
      return reason;
    },
  });
  return { w, durable, failed, rejectWith: (r: unknown) => { reason = r; } };
}

describe('SegmentWriter group commit', () => {
  it('the lines appended in one turn of the event loop go out as one batch: one promise, one durable event naming the last line', async () => {
    const f = auditFolder();
    const { w, durable } = writer(f.path);
    const promises = [1, 2, 3].map((i) => w.append(`{"n":${i}}\n`, i, `h${i}`));
    expect(new Set(promises).size).toBe(1);
    await Promise.all(promises);
    expect(durable).toEqual([[3, 'h3']]);
    expect(readFileSync(f.path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    // A later turn: a batch of its own, after the first.
    await w.append('{"n":4}\n', 4, 'h4');
    expect(durable).toEqual([[3, 'h3'], [4, 'h4']]);
    await w.close();
    expect(readFileSync(f.path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n');
  });

  it('a batch that cannot be written: `failed` is told once, and its lines settle as it answers (rejected with its reason, or resolved with none)', async () => {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const refused = writer('/dev/full');
    refused.rejectWith(new Error('refused'));
    const lines = [1, 2].map((i) => refused.w.append(`{"n":${i}}\n`, i, `h${i}`));
    await expect(Promise.all(lines)).rejects.toThrow('refused');
    expect(refused.failed).toEqual([expect.objectContaining({ code: 'ENOSPC' })]);
    expect(refused.durable).toEqual([]);
    await refused.w.close();

    const served = writer('/dev/full');
    await expect(served.w.append('{"n":1}\n', 1, 'h1')).resolves.toBeUndefined();
    expect(served.failed).toHaveLength(1);
    await served.w.close();
  });
});
