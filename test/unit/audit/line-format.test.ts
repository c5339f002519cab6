import { constants, copyFileSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainHashOfJson, GENESIS } from '../../../runtime/audit/chain-hash.js';
import { readAuditPublicKey } from '../../../runtime/audit/checkpoint.js';
import { verifyAuditFiles } from '../../../runtime/audit/verify-audit-log.js';
import { auditFolder, openLog, predictEntry, ROOT } from './audit-fixture.js';

const FIXTURE = join(ROOT, 'test/fixtures/audit');

describe('the line as written', () => {
  it('is the JSON that was hashed, with "hash" added last, and re-serialises to that same text (what verify hashes)', async () => {
    const f = auditFolder();
    const log = openLog(f.path, f.keyFile, { checkpointEvery: 2 });
    await log.append({ ...predictEntry(1), bundle_digest: 'ab'.repeat(32), latency_ms: 1.5, transport: 'http', secret: { requestId: 'r-1', input: [Buffer.from('{"a":'), Buffer.from('1}')] } });
    await log.append({ action: 'dicom_store', caller: 'modality', outcome: 'partial', status: 202, detail: { instances: 3, failures: { '0110': 1, A700: 2 } }, secret: { uids: ['1.2.3'] } });
    log.recordAccessDenied({ source: '10.0.0.9', method: 'GET', route: '/v2/models/:model', status: 403, code: 'FORBIDDEN' });
    await log.close();
    const text = readFileSync(f.path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    let prev = GENESIS;
    for (const row of text.slice(0, -1).split('\n')) {
      const m = /^(\{.*),"hash":"([0-9a-f]{64})"\}$/.exec(row);
      expect(m, row).not.toBeNull();
      const json = `${m![1]}}`;
      expect(chainHashOfJson(prev, json)).toBe(m![2]);
      const { hash, ...body } = JSON.parse(row) as Record<string, unknown>;
      expect(JSON.stringify(body)).toBe(json);
      expect(body.prev).toBe(prev);
      prev = hash as string;
    }
    const rows = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.reason ?? r.action)).toEqual(['predict', 'dicom_store', 'interval', 'access_denied', 'shutdown']);
    // Undefined fields are left out; no field of the record is lost.
    expect(Object.keys(rows[0]!)).toEqual(['seq', 'time', 'action', 'caller', 'model', 'version', 'bundle_digest', 'outcome', 'latency_ms', 'transport', 'request_id_hmac', 'input_hmac', 'prev', 'hash']);
    expect(rows[1]).toMatchObject({ status: 202, instances: 3, failures: { '0110': 1, A700: 2 }, uid_hmacs: [expect.stringMatching(/^[0-9a-f]{64}$/)] });
    expect(rows[3]).toMatchObject({ source: '10.0.0.9', method: 'GET', route: '/v2/models/:model', status: 403, outcome: 'FORBIDDEN' });
  });

  it('a log written before lines were serialised once (keys in the caller\'s order) still verifies, and a new server continues its chain', async () => {
    const key = readAuditPublicKey(readFileSync(join(FIXTURE, 'before-1-stringify.pub.pem'), 'utf8'));
    const old = join(FIXTURE, 'before-1-stringify.jsonl');
    expect(verifyAuditFiles([old], { key })).toMatchObject({ ok: true, lines: 7, checkpoints: 2, problems: [] });
    const f = auditFolder();
    copyFileSync(old, f.path);
    const log = openLog(f.path, undefined);
    await log.append(predictEntry(8));
    await log.close();
    const rows = readFileSync(f.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.at(-1)).toMatchObject({ seq: 8, prev: rows[6]!.hash });
    expect(verifyAuditFiles([f.path])).toMatchObject({ ok: true, lines: 8, problems: [] });
  });
});

// O_DSYNC: each batch's write returns once it is on stable storage (no separate fdatasync to wait for).
describe.runIf(process.platform === 'linux')('the live file (Linux only: its flags are read from /proc/self/fdinfo; skipped elsewhere)', () => {
  it('is open with O_APPEND and O_DSYNC, so a resolved append is on stable storage', async () => {
    const f = auditFolder();
    const log = openLog(f.path, undefined);
    await log.append(predictEntry(1));
    const fd = readdirSync('/proc/self/fd').find((n) => {
      try {
        return readlinkSync(`/proc/self/fd/${n}`) === f.path;
      } catch {
        return false;
      }
    });
    expect(fd, 'the audit log holds its file open').toBeDefined();
    const flags = Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    expect(flags & constants.O_DSYNC).toBe(constants.O_DSYNC);
    expect(flags & constants.O_APPEND).toBe(constants.O_APPEND);
    await log.close();
  });
});
