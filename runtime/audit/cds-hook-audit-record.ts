import type { AuditRecord } from './audit-record.js';

/**
 * The audit record of one CDS Hooks call once its FHIR resources are gathered: which service, the EHR's
 * hookInstance (an id it issued for this call, so its own audit can be matched), and how many resources
 * of each type were read (from prefetch or the EHR's FHIR server), never their content.
 */
export function cdsHookAuditRecord(call: { caller: string; service: string; hookInstance: string; model: string; version: string; fhirServer?: string | undefined; resources: unknown }): AuditRecord {
  const read: Record<string, number> = {};
  const entries = (call.resources as { entry?: { resource?: { resourceType?: unknown } }[] } | undefined)?.entry ?? [];
  for (const e of entries) {
    const type = typeof e.resource?.resourceType === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(e.resource.resourceType) ? e.resource.resourceType : 'other';
    read[type] = (read[type] ?? 0) + 1;
  }
  return {
    action: 'cds_hook', caller: call.caller, model: call.model, version: call.version, transport: 'cds-hooks', outcome: 'resources_read',
    detail: {
      service: call.service,
      hook_instance: /^[A-Za-z0-9._:-]{1,128}$/.test(call.hookInstance) ? call.hookInstance : 'malformed',
      ...(call.fhirServer ? { fhir_server: originOf(call.fhirServer) } : {}),
      resources_read: read,
    },
  };
}

/** Only the origin of the EHR's FHIR server: a path could carry an identifier. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}
