import { appendFileSync, chmodSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAuditPublicKey } from '../../../runtime/audit/checkpoint.js';
import { segmentsOf } from '../../../runtime/audit/segment-files.js';
import { verifyAuditFiles } from '../../../runtime/audit/verify-audit-log.js';
import { auditCli, auditFolder, openLog, predictEntry } from './audit-fixture.js';

const rows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
const keyOf = (pubFile: string) => readAuditPublicKey(readFileSync(pubFile, 'utf8'));

describe('a torn last line (the process died mid-write)', () => {
  it('is cut off into the .torn file with a warning, and the chain continues from the last whole line, never merged', async () => {
    const f = auditFolder();
    const first = openLog(f.path, f.keyFile);
    await Promise.all([1, 2, 3].map((i) => first.append(predictEntry(i))));
    // No close: a crash, after the three appends were durable. Then half a line.
    const torn = '{"seq":4,"time":"2026-12-04T10:00:00.000Z","action":"pre';
    appendFileSync(f.path, torn);
    const logLines: string[] = [];
    const second = openLog(f.path, f.keyFile, {}, logLines);
    expect(logLines.join('\n')).toMatch(/"level":"warn","msg":"the audit log ended in a torn line.*"tornBytes":56/);
    expect(logLines.join('\n')).toMatch(/does not end with a shutdown checkpoint/);
    expect(readFileSync(`${f.path}.torn`, 'utf8')).toBe(`${torn}\n`);
    await second.append(predictEntry(4));
    await second.close();
    const lines = rows(f.path);
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines[3]).toMatchObject({ action: 'predict', prev: lines[2]!.hash });
    expect(verifyAuditFiles([f.path], { key: keyOf(f.pubFile) })).toMatchObject({ ok: true, lines: 5, problems: [] });
  });

  it('a whole last line that is not an audit entry: the file is kept as a segment and a new chain starts, with an error', async () => {
    const f = auditFolder();
    writeFileSync(f.path, 'this is not an audit line\n');
    const logLines: string[] = [];
    const log = openLog(f.path, undefined, {}, logLines);
    await log.append(predictEntry(1));
    await log.close();
    expect(logLines.join('\n')).toMatch(/"level":"error","msg":"the last line of the audit log is not an audit entry/);
    expect(readFileSync(join(f.dir, 'audit.000001.jsonl'), 'utf8')).toBe('this is not an audit line\n');
    expect(rows(f.path)).toMatchObject([{ seq: 1, prev: '0'.repeat(64) }]);
  });

  it('an empty or missing log starts a new chain', async () => {
    const f = auditFolder();
    writeFileSync(f.path, '');
    const log = openLog(f.path, undefined);
    await log.append(predictEntry(1));
    await log.close();
    expect(rows(f.path)).toMatchObject([{ seq: 1, prev: '0'.repeat(64) }]);
  });
});

describe('checkpoints and the file', () => {
  it('come every N entries and at close; the file is 0600 even when it existed with a wider mode', async () => {
    const f = auditFolder();
    writeFileSync(f.path, '', { mode: 0o644 });
    chmodSync(f.path, 0o644);
    const log = openLog(f.path, f.keyFile, { checkpointEvery: 3 });
    for (let i = 1; i <= 7; i++) await log.append(predictEntry(i));
    await log.close();
    expect(rows(f.path).map((l) => l.reason ?? l.action)).toEqual(['predict', 'predict', 'predict', 'interval', 'predict', 'predict', 'predict', 'interval', 'predict', 'shutdown']);
    expect(statSync(f.path).mode & 0o777).toBe(0o600);
  });

  it('without a key the log is chained but unsigned, and verify says signatures were not checked', async () => {
    const f = auditFolder();
    const log = openLog(f.path, undefined);
    for (let i = 1; i <= 7; i++) await log.append(predictEntry(i));
    await log.close();
    expect(rows(f.path).every((l) => l.action === 'predict')).toBe(true);
    const result = verifyAuditFiles([f.path]);
    expect(result).toMatchObject({ ok: true, checkpoints: 0, signaturesChecked: false });
    expect(result.notes[0]).toMatch(/^signatures were not checked/);
    // With the key, a log no checkpoint signs is all unsigned tail.
    expect(verifyAuditFiles([f.path], { key: keyOf(f.pubFile) }).problems).toEqual([{ file: f.path, line: 1, reason: expect.stringMatching(/^unsigned tail of 7 entries .* after no checkpoint at all/) }]);
  });
});

describe('group commit', () => {
  it('append resolves only when its line is in the file; lines appended together keep their order and chain', async () => {
    const f = auditFolder();
    const log = openLog(f.path, f.keyFile, { checkpointEvery: 1000 });
    await log.append(predictEntry(0));
    expect(rows(f.path).map((l) => l.seq)).toEqual([1]);
    const pending = Array.from({ length: 200 }, (_, i) => log.append(predictEntry(i + 1)).then(() => rows(f.path).some((l) => l.request_id_hmac !== undefined && l.seq === i + 2)));
    expect(await Promise.all(pending)).toEqual(Array(200).fill(true));
    await log.close();
    const lines = rows(f.path);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 202 }, (_, i) => i + 1));
    expect(verifyAuditFiles([f.path], { key: keyOf(f.pubFile) })).toMatchObject({ ok: true, lines: 202, problems: [] });
  });
});

describe('an entry that cannot be written', () => {
  // /dev/full answers every write with ENOSPC, as a full disk does, also for root.
  it('refuse: append rejects with AUDIT_UNAVAILABLE, every line of the batch and after it too', async () => {
    const log = openLog('/dev/full', undefined, { failurePolicy: 'refuse' });
    const batch = [1, 2, 3].map((i) => log.append(predictEntry(i)));
    const settled = await Promise.allSettled(batch);
    expect(settled).toEqual(Array(3).fill({ status: 'rejected', reason: expect.objectContaining({ code: 'AUDIT_UNAVAILABLE', message: expect.stringContaining('ENOSPC') }) }));
    await expect(log.append(predictEntry(4))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    await log.close();
  });

  it('serve: append returns, and the failure is logged (once per 10 s, not per request)', async () => {
    const logLines: string[] = [];
    const log = openLog('/dev/full', undefined, { failurePolicy: 'serve' }, logLines);
    await Promise.all([0, 1, 2, 3, 4].map((i) => log.append(predictEntry(i))));
    expect(logLines.filter((l) => l.includes('the audit log cannot be written'))).toEqual([expect.stringContaining('"code":"ENOSPC"')]);
    await log.close();
  });
});

describe('rotation', () => {
  it('by size: segments named in order, each ended by a rotate checkpoint and chained to the next; verify takes the folder', async () => {
    const f = auditFolder();
    const log = openLog(f.path, f.keyFile, { rotateBytes: 4096, checkpointEvery: 100 });
    for (let i = 1; i <= 60; i++) await log.append(predictEntry(i));
    await log.close();
    const files = segmentsOf(f.path);
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(readdirSync(f.dir).filter((n) => n.endsWith('.jsonl')).sort()).toEqual(['audit.000001.jsonl', 'audit.000002.jsonl', ...files.slice(2, -1).map((p) => p.split('/').at(-1)!), 'audit.jsonl'].sort());
    for (const file of files.slice(0, -1)) expect(rows(file).at(-1)).toMatchObject({ action: 'checkpoint', reason: 'rotate' });
    expect(rows(files[1]!)[0]!.prev).toBe(rows(files[0]!).at(-1)!.hash);
    expect(verifyAuditFiles(files, { key: keyOf(f.pubFile) })).toMatchObject({ ok: true, files: files.length });
    expect(auditCli('verify', f.dir, '--key', f.pubFile)).toEqual({ code: 0, out: expect.stringMatching(new RegExp(`^ok: \\d+ lines in ${files.length} files`)) });

    // A missing segment breaks the chain where the next one starts.
    const without = files.filter((_, i) => i !== 1);
    const result = verifyAuditFiles(without, { key: keyOf(f.pubFile) });
    expect(result.problems[0]).toEqual({ file: files[2], line: 1, reason: expect.stringMatching(/seq is \d+, expected \d+ .*; prev does not match the last hash of .*audit\.000001\.jsonl: the segments are not consecutive/) });
    // And a folder whose first segment is gone does not start at the genesis.
    rmSync(files[0]!);
    expect(auditCli('verify', f.dir, '--key', f.pubFile)).toEqual({ code: 1, out: expect.stringMatching(/^TAMPERED \S+audit\.000002\.jsonl line 1: seq is \d+, expected 1 .*prev is not the genesis hash/) });
  });

  it('by time: a segment written longer than auditRotateSeconds is closed at the next entry; a restart continues the chain', async () => {
    const f = auditFolder();
    let now = Date.parse('2026-12-04T10:00:00Z');
    const log = openLog(f.path, f.keyFile, { rotateSeconds: 3600, now: () => now });
    await log.append(predictEntry(1));
    now += 3599_000;
    await log.append(predictEntry(2));
    expect(existsSync(join(f.dir, 'audit.000001.jsonl'))).toBe(false);
    now += 2_000;
    await log.append(predictEntry(3));
    await log.close();
    expect(rows(join(f.dir, 'audit.000001.jsonl')).map((l) => l.reason ?? l.seq)).toEqual([1, 2, 'rotate']);
    expect(rows(f.path).map((l) => l.reason ?? l.seq)).toEqual([4, 'shutdown']);
    const again = openLog(f.path, f.keyFile);
    await again.append(predictEntry(4));
    await again.close();
    expect(verifyAuditFiles(segmentsOf(f.path), { key: keyOf(f.pubFile) })).toMatchObject({ ok: true, lines: 7 });
  });
});

describe('openAuditLog', () => {
  it('refuses to start with a log in a folder that does not exist, and creates the HMAC secret 0600 beside the log', async () => {
    const { openAuditLog } = await import('../../../runtime/audit/open-audit-log.js');
    const { parseConfig } = await import('../../../runtime/config/load-config.js');
    const { createLogger } = await import('../../../runtime/log/logger.js');
    const f = auditFolder();
    const config = (auditLog: string) => parseConfig({ models: f.dir, auditLog, auditKeyFile: f.keyFile });
    expect(() => openAuditLog(config(join(f.dir, 'missing', 'audit.jsonl')), createLogger('silent'))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('ENOENT') }));
    const log = openAuditLog(config(f.path), createLogger('silent'))!;
    await log.append(predictEntry(1));
    await log.close();
    expect(readFileSync(`${f.path}.hmac-key`, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(`${f.path}.hmac-key`).mode & 0o777).toBe(0o600);
    expect(verifyAuditFiles([f.path], { key: keyOf(f.pubFile) })).toMatchObject({ ok: true, lines: 2 });
  });
});
