import { z } from 'zod';
import type { TabularSpec } from '../tabular/tabular-spec.js';

/** The `cds_hooks` section of a tabular bundle. */
export const cdsHooksDeclaration = z.looseObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  hook: z.string().min(1),
  title: z.string().optional(),
  description: z.string().min(1),
  /** Probability at or above which the card is a warning, and critical. */
  indicator_thresholds: z.strictObject({ warning: z.number().min(0).max(1), critical: z.number().min(0).max(1) }).default({ warning: 0.5, critical: 0.8 }),
});
export type CdsHooksDeclaration = z.infer<typeof cdsHooksDeclaration>;

export interface CdsServiceDescriptor {
  hook: string;
  title?: string;
  description: string;
  id: string;
  prefetch: Record<string, string>;
}

/**
 * The discovery entry for one tabular bundle, with prefetch templates for exactly the resources its
 * features read: the Patient, and Observations / Conditions / MedicationStatements by their codes.
 */
export function describeService(declaration: CdsHooksDeclaration, spec: TabularSpec): CdsServiceDescriptor {
  const prefetch: Record<string, string> = {};
  const sources = spec.features.map((f) => f.fhir).filter((s) => s !== undefined);
  if (sources.some((s) => s.source === 'patient_age' || s.source === 'patient_gender')) prefetch.patient = 'Patient/{{context.patientId}}';
  const codes = (kind: string) => [...new Set(sources.filter((s) => s.source === kind).flatMap((s) => ('codes' in s ? s.codes ?? [] : [])).map((c) => `${c.system}|${c.code}`))];
  const observations = codes('observation');
  if (observations.length) prefetch.observations = `Observation?patient={{context.patientId}}&code=${observations.join(',')}&_sort=-date`;
  const conditions = codes('condition');
  if (conditions.length) prefetch.conditions = `Condition?patient={{context.patientId}}&code=${conditions.join(',')}`;
  const medications = codes('medication');
  if (medications.length) prefetch.medications = `MedicationStatement?patient={{context.patientId}}&code=${medications.join(',')}`;
  // History features: every resource type they read; by code where the type is searched by code.
  for (const type of new Set(sources.flatMap((s) => (s.source === 'history' ? [s.resource] : [])))) {
    const own = sources.flatMap((s) => (s.source === 'history' && s.resource === type ? [s] : []));
    const wanted = own.map((s) => [...(s.codes ?? []), ...(s.value_set ? spec.value_sets[s.value_set] ?? [] : [])].map((c) => `${c.system}|${c.code}`));
    const byCode = type !== 'Encounter' && type !== 'QuestionnaireResponse' && wanted.every((w) => w.length > 0);
    prefetch[`history_${type}`] = `${type}?patient={{context.patientId}}${byCode ? `&code=${[...new Set(wanted.flat())].join(',')}` : ''}`;
  }
  return { hook: declaration.hook, ...(declaration.title ? { title: declaration.title } : {}), description: declaration.description, id: declaration.id, prefetch };
}
