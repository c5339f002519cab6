import type { AuditRecord } from './audit-record.js';

/**
 * The audit record of one STOW-RS request or C-STORE association, as the client was answered: success
 * when every instance was accepted, failure when none was (STOW-RS 409), partial otherwise (202). The
 * study UID, when the client named one, is kept only as its HMAC.
 */
export function storeAuditRecord(transport: 'stowrs' | 'cstore', caller: string, status: number | undefined, instances: number, failedCodes: readonly string[], study?: string | undefined): AuditRecord {
  const failed = failedCodes.length;
  const codes: Record<string, number> = {};
  for (const c of failedCodes) codes[c] = (codes[c] ?? 0) + 1;
  return {
    action: 'dicom_store', caller, transport, status,
    outcome: failed === 0 ? 'success' : failed >= instances ? 'failure' : 'partial',
    detail: { instances, failed, ...(failed ? { failed_codes: codes } : {}) },
    secret: { uids: study ? [study] : undefined },
  };
}
