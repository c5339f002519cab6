import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAuditSigner, readAuditPublicKey, verifyCheckpoint } from '../../../runtime/audit/checkpoint.js';
import { auditCli } from './audit-fixture.js';

describe('clinfer audit keygen', () => {
  it('writes an Ed25519 pair (private 0600) that signs and verifies checkpoints, and never overwrites one', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'clinfer-audit-keygen-')), 'keys');
    expect(auditCli('keygen', '--out', dir).code).toBe(0);
    expect(statSync(join(dir, 'audit-key.pem')).mode & 0o777).toBe(0o600);
    const signer = loadAuditSigner(join(dir, 'audit-key.pem'));
    const fields = { seq: 7, time: '2026-12-04T10:00:00.000Z', reason: 'interval' as const, prev: 'a'.repeat(64), key_id: signer.keyId };
    const pub = readAuditPublicKey(readFileSync(join(dir, 'audit-key.pub.pem'), 'utf8'));
    expect(verifyCheckpoint(fields, signer.sign(fields), pub)).toBe(true);
    expect(verifyCheckpoint({ ...fields, seq: 8 }, signer.sign(fields), pub)).toBe(false);
    expect(auditCli('keygen', '--out', dir).code).toBe(2);
  });

  it('refuses a key that is not Ed25519 as auditKeyFile', () => {
    expect(() => loadAuditSigner('/dev/null')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('auditKeyFile /dev/null') }));
  });
});
