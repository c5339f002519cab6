import type { Config } from '../config/config-schema.js';
import type { Logger } from '../log/logger.js';
import { AuditLog } from './audit-log.js';
import { loadOrCreateAuditSecret } from './audit-secret.js';
import { loadAuditSigner } from './checkpoint.js';

/** The audit log the configuration asks for (undefined without auditLog): key, secret, rotation, policy. */
export function openAuditLog(config: Config, log: Logger): AuditLog | undefined {
  if (!config.auditLog) return undefined;
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
