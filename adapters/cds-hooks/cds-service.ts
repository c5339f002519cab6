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
 * features read: the Patient, and Observations (by code or component code: `combo-code`, so that blood
 * pressure panels are found), Conditions and MedicationStatements by their codes.
 */
export function describeService(declaration: CdsHooksDeclaration, spec: TabularSpec): CdsServiceDescriptor {
  const prefetch = Object.fromEntries(Object.entries(searches(spec)).map(([key, s]) => [key, s.query]));
  return { hook: declaration.hook, ...(declaration.title ? { title: declaration.title } : {}), description: declaration.description, id: declaration.id, prefetch };
}

/**
 * The searches clinfer runs itself on the EHR's FHIR server when a prefetch key was not sent: the
 * discovery templates plus `date=ge` (the longest look-back of the Observation features, before `at`)
 * and `_count` (results per page; `next` links are followed).
 */
export function serverQueries(spec: TabularSpec, at: Date, pageSize: number): Record<string, string> {
  return Object.fromEntries(Object.entries(searches(spec)).map(([key, s]) => {
    if (!s.search) return [key, s.query];
    const since = s.lookbackDays === undefined ? '' : `&date=ge${new Date(at.getTime() - s.lookbackDays * 86_400_000).toISOString().slice(0, 10)}`;
    return [key, `${s.query}${since}&_count=${pageSize}`];
  }));
}

interface Search {
  readonly query: string;
  /** A search (paged), not a read. */
  readonly search: boolean;
  readonly lookbackDays?: number;
}

function searches(spec: TabularSpec): Record<string, Search> {
  const out: Record<string, Search> = {};
  const sources = spec.features.map((f) => f.fhir).filter((s) => s !== undefined);
  if (sources.some((s) => s.source === 'patient_age' || s.source === 'patient_gender')) out.patient = { query: 'Patient/{{context.patientId}}', search: false };
  const codes = (kind: string) => [...new Set(sources.filter((s) => s.source === kind).flatMap((s) => ('codes' in s && s.codes ? s.codes : [])).map((c) => `${c.system}|${c.code}`))];
  const observations = codes('observation');
  if (observations.length) {
    const lookbackDays = Math.max(...sources.map((s) => (s.source === 'observation' ? s.lookback_days : 0)));
    out.observations = { query: `Observation?patient={{context.patientId}}&combo-code=${observations.join(',')}&_sort=-date`, search: true, lookbackDays };
  }
  const conditions = codes('condition');
  if (conditions.length) out.conditions = { query: `Condition?patient={{context.patientId}}&code=${conditions.join(',')}`, search: true };
  const medications = codes('medication');
  if (medications.length) out.medications = { query: `MedicationStatement?patient={{context.patientId}}&code=${medications.join(',')}`, search: true };
  // History features: every resource type they read; by code where the type is searched by code
  // (Observations by combo-code, components included). No date filter: a history may reach back years.
  for (const type of new Set(sources.flatMap((s) => (s.source === 'history' ? [s.resource] : [])))) {
    const own = sources.flatMap((s) => (s.source === 'history' && s.resource === type ? [s] : []));
    const wanted = own.map((s) => [...(s.codes ?? []), ...(s.value_set ? spec.value_sets[s.value_set] ?? [] : [])].map((c) => `${c.system}|${c.code}`));
    const byCode = type !== 'Encounter' && type !== 'QuestionnaireResponse' && wanted.every((w) => w.length > 0);
    const param = type === 'Observation' ? 'combo-code' : 'code';
    out[`history_${type}`] = { query: `${type}?patient={{context.patientId}}${byCode ? `&${param}=${[...new Set(wanted.flat())].join(',')}` : ''}`, search: true };
  }
  return out;
}
