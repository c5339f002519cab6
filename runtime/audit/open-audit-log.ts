import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { AuditLog } from './audit-log.js';
import { loadOrCreateAuditSecret } from './audit-secret.js';
import { loadAuditSigner } from './checkpoint.js';

/** The audit log the configuration asks for (undefined without auditLog): key, secret, rotation, policy. */
export function openAuditLog(config: Config, log: Logger): AuditLog | undefined {
  if (!config.auditLog) return undefined;
  // A folder that is not there is a configuration error, refused at start; a write that fails later
  // (disk full, permissions) is answered by auditFailurePolicy.
  let folder;
  try {
    folder = statSync(dirname(config.auditLog));
  } catch (error) {
    throw new ClinferError('CONFIG_INVALID', `auditLog ${config.auditLog}: its folder is not there (${(error as NodeJS.ErrnoException).code})`);
  }
  if (!folder.isDirectory()) throw new ClinferError('CONFIG_INVALID', `auditLog ${config.auditLog}: ${dirname(config.auditLog)} is not a folder`);
  if (!config.auditKeyFile) log.warn('the audit log has no auditKeyFile: it is hash-chained but unsigned, so a cut tail or a re-chained file cannot be detected (docs/audit.md)');
  return new AuditLog({
    path: config.auditLog,
    secret: loadOrCreateAuditSecret(config.auditHmacKeyFile ?? `${config.auditLog}.hmac-key`),
    signer: config.auditKeyFile ? loadAuditSigner(config.auditKeyFile) : undefined,
    checkpointEvery: config.auditCheckpointEvery,
    rotateBytes: config.auditRotateBytes,
    rotateSeconds: config.auditRotateSeconds,
    failurePolicy: config.auditFailurePolicy,
    accessDeniedPerMinute: config.auditAccessDeniedPerMinute,
    syslog: config.auditSyslog,
    log,
  });
}
