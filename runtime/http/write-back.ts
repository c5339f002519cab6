import type { Request } from 'express';
import { isPatientReference, withWriteBackIdentifier } from '../../adapters/fhir/write-back-resource.js';
import { ClinferError } from '../errors/index.js';
import type { AppContext } from '../app-context.js';

/**
 * `?write_back=true` on /v1 predict: the RiskAssessments of this FHIR answer are also written back to the EHR's
 * FHIR server (fhirWriteBack). Refused loudly where it cannot be honoured: not configured, or not a FHIR request.
 */
export function readWriteBack(ctx: AppContext, req: Request, isFhir: boolean): boolean {
  const raw = req.query.write_back;
  if (raw === undefined || raw === 'false') return false;
  if (raw !== 'true') throw new ClinferError('INVALID_PARAMETER', `write_back must be true or false, got '${String(raw).slice(0, 20)}'`);
  if (!ctx.fhirWriteBack) throw new ClinferError('INVALID_PARAMETER', 'write_back=true: this server writes nothing back (fhirWriteBack is not configured)');
  if (!isFhir) throw new ClinferError('INVALID_PARAMETER', 'write_back=true is for FHIR requests (application/fhir+json): only RiskAssessments are written back');
  return true;
}

/** Each patient to assess must be `Patient/<id>` on the EHR's server, or its RiskAssessment would name nobody there. */
export function requireServerPatients(patients: readonly { reference: string; index: number }[]): void {
  const without = patients.filter((p) => !isPatientReference(p.reference));
  if (without.length) {
    throw new ClinferError('INVALID_REQUEST', `write_back=true needs each Patient to have an id on the EHR's FHIR server (a Patient/<id> reference); ${without.map((p) => `Bundle.entry[${p.index}]`).join(', ')} ha${without.length > 1 ? 've' : 's'} none`);
  }
}

/**
 * Adds the write-back identifier to each RiskAssessment (the caller's answer shows it too) and puts them in the
 * outbox before the answer goes: answered means queued durably; OUTBOX_UNAVAILABLE means nothing was queued.
 */
export async function queueWriteBack(ctx: AppContext, resources: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const marked = resources.map((r) => (r.resourceType === 'RiskAssessment' ? withWriteBackIdentifier(r) : r));
  const assessments = marked.filter((r) => r.resourceType === 'RiskAssessment');
  if (assessments.length === 0) return marked;
  try {
    await ctx.fhirWriteBack!.enqueue(assessments);
  } catch (error) {
    ctx.log.error('fhir.write_back.enqueue_failed', { code: (error as NodeJS.ErrnoException).code ?? 'INTERNAL' });
    throw new ClinferError('OUTBOX_UNAVAILABLE', 'the RiskAssessments could not be queued for write-back (the outbox cannot be written); nothing was written back, call again later', { cause: error });
  }
  return marked;
}

/**
 * A CDS Hooks call's RiskAssessment, when fhirWriteBack.cdsHooks is on and the call's fhirServer is the
 * write-back server (a patient id means something on its own server only). The card is answered either way:
 * a failure to queue is logged (no patient data) and counted, not turned into a failed hook call.
 */
export async function queueHookWriteBack(ctx: AppContext, fhirServer: string | undefined, resource: () => Record<string, unknown>): Promise<void> {
  const writeBack = ctx.fhirWriteBack;
  if (!writeBack?.forCdsHooks(fhirServer)) return;
  const assessment = resource();
  if (typeof (assessment.subject as { reference?: unknown })?.reference !== 'string' || !isPatientReference((assessment.subject as { reference: string }).reference)) return;
  try {
    await writeBack.enqueue([withWriteBackIdentifier(assessment)]);
  } catch (error) {
    ctx.metrics.fhirWriteBack.inc({ destination: 'fhir', event: 'not_enqueued' });
    ctx.log.error('fhir.write_back.enqueue_failed', { code: (error as NodeJS.ErrnoException).code ?? 'INTERNAL', source: 'cds-hooks' });
  }
}
