import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type AuditLogOptions } from '../../../runtime/audit/audit-log.js';
import { AuditSecret } from '../../../runtime/audit/audit-secret.js';
import { loadAuditSigner } from '../../../runtime/audit/checkpoint.js';
import { createLogger } from '../../../runtime/log/logger.js';

export const ROOT = new URL('../../../', import.meta.url).pathname;

/** A folder with an audit key pair (as `clinfer audit keygen` writes) and a log path in it. */
export function auditFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'clinfer-audit-unit-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = join(dir, 'audit-key.pem');
  const pubFile = join(dir, 'audit-key.pub.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { dir, keyFile, pubFile, path: join(dir, 'audit.jsonl') };
}

/** A real AuditLog with warnings collected in `logLines`. */
export function openLog(path: string, keyFile: string | undefined, options: Partial<AuditLogOptions> = {}, logLines: string[] = []): AuditLog {
  return new AuditLog({
    path, secret: new AuditSecret(randomBytes(32)), signer: keyFile ? loadAuditSigner(keyFile) : undefined,
    checkpointEvery: 5, failurePolicy: 'refuse', accessDeniedPerMinute: 60,
    log: createLogger('debug', (line) => logLines.push(line)), ...options,
  });
}

export function predictEntry(i: number) {
  return { action: 'predict' as const, caller: 'pacs-router', model: 'heart-disease-risk', version: '1', outcome: 'success', secret: { requestId: `r-${i}` } };
}

/** Runs the real CLI (`node bin/clinfer.mjs audit ...`): exit code and stdout. */
export function auditCli(...args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(process.execPath, [join(ROOT, 'bin/clinfer.mjs'), 'audit', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e: any) {
    return { code: e.status as number, out: String(e.stdout) };
  }
}
