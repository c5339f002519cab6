import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../../runtime/audit/chain-hash.js';
import { checkpointPayload, keyId } from '../../../runtime/audit/checkpoint.js';
import { sign } from 'node:crypto';
import { auditCli, auditFolder, openLog, predictEntry } from './audit-fixture.js';

/**
 * The five ways a reviewer expects an audit log to be tampered with, each caught by the real
 * `clinfer audit verify --key` with the line and the reason. The clean log (checkpoint every 5 entries):
 * 1-5 entries, 6 checkpoint, 7-11 entries, 12 checkpoint, 13-14 entries, 15 shutdown checkpoint.
 */
const f = auditFolder();
let clean: string[];

beforeAll(async () => {
  const log = openLog(f.path, f.keyFile);
  for (let i = 1; i <= 12; i++) await log.append(predictEntry(i));
  await log.close();
  clean = readFileSync(f.path, 'utf8').trim().split('\n');
});

const write = (rows: string[]) => writeFileSync(f.path, rows.join('\n') + '\n');
const verify = () => auditCli('verify', f.path, '--key', f.pubFile);
/** Recomputes prev and hash of every line, as someone without the key would. */
const rechain = (rows: string[]) => {
  let prev = '0'.repeat(64);
  return rows.map((row) => {
    const { hash: _, ...body } = JSON.parse(row);
    const next = { ...body, prev };
    prev = chainHash(prev, next);
    return JSON.stringify({ ...next, hash: prev });
  });
};
const parse = (row: string) => JSON.parse(row) as Record<string, any>;
const appended = (rows: string[], fields: Record<string, unknown>) => {
  const last = parse(rows.at(-1)!);
  const body = { seq: last.seq + 1, time: new Date().toISOString(), ...fields, prev: last.hash };
  return [...rows, JSON.stringify({ ...body, hash: chainHash(last.hash, body) })];
};

describe('clinfer audit verify --key', () => {
  it('passes the log as written, which ends with a shutdown checkpoint', () => {
    expect(clean.map((r) => parse(r).action === 'checkpoint' ? parse(r).reason : parse(r).seq)).toEqual([1, 2, 3, 4, 5, 'interval', 7, 8, 9, 10, 11, 'interval', 13, 14, 'shutdown']);
    write(clean);
    expect(verify()).toEqual({ code: 0, out: expect.stringMatching(/^ok: 15 lines in 1 file, 3 checkpoints; the chain is intact, every checkpoint signed by key [0-9a-f]{16}\n$/) });
  });

  it('truncation: a cut tail leaves entries no checkpoint signs, or ends at an interval checkpoint', () => {
    write(clean.slice(0, 13));
    const cut = verify();
    expect(cut.code).toBe(1);
    expect(cut.out).toMatch(/^TAMPERED \S+audit\.jsonl line 13: unsigned tail of 1 entry \(\S+ lines 13-13\) after the last checkpoint \(\S+ line 12\)/);
    write(clean.slice(0, 12));
    expect(verify()).toEqual({ code: 1, out: expect.stringMatching(/^TAMPERED \S+ line 12: the log ends at an interval checkpoint, not a shutdown one: lines after it may have been cut/) });
    writeFileSync(f.path, '');
    expect(verify()).toEqual({ code: 1, out: expect.stringMatching(/^TAMPERED \S+ line 1: the log is empty: .* cut to nothing/) });
    write(clean.slice(0, 12));
    // A log of a running server ends that way too: --open notes it instead.
    expect(auditCli('verify', f.path, '--key', f.pubFile, '--open')).toEqual({ code: 0, out: expect.stringContaining('note: the log ends at an interval checkpoint') });
  });

  it('forged append: a well-chained entry after the shutdown checkpoint is covered by no signature; a forged checkpoint does not verify', () => {
    const forged = appended(clean, { action: 'deploy', caller: 'intruder', model: 'heart-disease-risk', version: '9', outcome: 'success' });
    write(forged);
    expect(verify()).toEqual({ code: 1, out: expect.stringMatching(/^TAMPERED \S+ line 16: unsigned tail of 1 entry/) });

    const other = generateKeyPairSync('ed25519').privateKey;
    // Signed with another key but claiming the server's key id.
    const realId = parse(clean[5]!).key_id as string;
    expect(realId).not.toBe(keyId(other));
    const last = parse(forged.at(-1)!);
    const fields = { seq: last.seq + 1, time: new Date().toISOString(), reason: 'shutdown' as const, prev: last.hash, key_id: realId };
    write(appended(forged, { action: 'checkpoint', reason: 'shutdown', key_id: realId, signature: sign(null, checkpointPayload(fields), other).toString('base64') }));
    const out = verify();
    expect(out.code).toBe(1);
    expect(out.out).toMatch(/^TAMPERED \S+ line 17: checkpoint signature does not verify: the lines up to here were re-chained, or the checkpoint is forged/);
  });

  it('re-chaining: an edit with every later hash recomputed fails the next checkpoint signature', () => {
    const edited = [...clean];
    edited[1] = JSON.stringify({ ...parse(clean[1]!), caller: 'someone-else' });
    write(rechain(edited));
    const out = verify();
    expect(out.code).toBe(1);
    expect(out.out.split('\n').filter((l) => l.startsWith('TAMPERED ')).map((l) => l.replace(/^TAMPERED \S+ /, ''))).toEqual([
      'line 6: checkpoint signature does not verify: the lines up to here were re-chained, or the checkpoint is forged',
      'line 12: checkpoint signature does not verify: the lines up to here were re-chained, or the checkpoint is forged',
      'line 15: checkpoint signature does not verify: the lines up to here were re-chained, or the checkpoint is forged',
    ]);
    // Without the key the same file looks intact, and the CLI says what it did not check.
    expect(auditCli('verify', f.path)).toEqual({ code: 0, out: expect.stringContaining('note: signatures were not checked (no --key)') });
  });

  it('edit: the edited line no longer matches its hash', () => {
    const edited = [...clean];
    edited[2] = edited[2]!.replace('"caller":"pacs-router"', '"caller":"someone-else"');
    write(edited);
    expect(verify()).toEqual({ code: 1, out: expect.stringMatching(/^TAMPERED \S+ line 3: hash does not match the line content \(the line was edited\)\n/) });
  });

  it('deletion: the line after the gap has the wrong seq and prev', () => {
    write([...clean.slice(0, 3), ...clean.slice(4)]);
    expect(verify()).toEqual({ code: 1, out: expect.stringMatching(/^TAMPERED \S+ line 4: seq is 5, expected 4 \(1 line\(s\) missing before it\); prev does not match the hash of the line before/) });
  });

  it('answers 2 for bad usage or an unreadable file', () => {
    expect(auditCli('verify').code).toBe(2);
    expect(auditCli('verify', `${f.dir}/missing.jsonl`).code).toBe(2);
    expect(auditCli('verify', f.path, '--key', f.path).code).toBe(2);
  });
});
