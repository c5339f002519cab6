import { z } from 'zod';
import { AGGREGATIONS } from './aggregations.js';

/**
 * A feature read from a patient's history (`"fhir": {"source": "history", ...}` in bundle.json): which
 * resources, which codes (inline or a named value set of `preprocessing.value_sets`), over which window,
 * aggregated how. Checked once when the bundle loads; `historySpecProblem` adds the cross-field rules.
 */
export const HISTORY_RESOURCES = [
  'Observation', 'Condition', 'Encounter', 'Procedure', 'MedicationRequest', 'MedicationStatement', 'MedicationAdministration', 'QuestionnaireResponse',
] as const;
export type HistoryResource = (typeof HISTORY_RESOURCES)[number];

const coding = z.strictObject({ system: z.string().min(1), code: z.string().min(1) });

export const historySource = z.strictObject({
  source: z.literal('history'),
  resource: z.enum(HISTORY_RESOURCES),
  /** Observation/Condition/Procedure/medication code, Encounter.type: any of these ... */
  codes: z.array(coding).min(1).optional(),
  /** ... or of the named value set (`preprocessing.value_sets`). */
  value_set: z.string().min(1).optional(),
  /** Encounter.class codes (v3 ActCode: IMP inpatient, EMER, AMB ...). */
  encounter_class: z.array(z.string().min(1)).min(1).optional(),
  /** QuestionnaireResponse: the questionnaire's canonical URL (a `|version` suffix is ignored) and the item. */
  questionnaire: z.string().min(1).optional(),
  link_id: z.string().min(1).optional(),
  aggregate: z.enum([...AGGREGATIONS, 'exposure_days']),
  /** The window ends at the reference time (nothing after it is read) and starts this many days before. */
  window_days: z.number().positive(),
  /** Statuses whose resources are used (default per resource: Observation final, amended, corrected; see sources.ts). */
  statuses: z.array(z.string().min(1)).min(1).optional(),
  /** Fewest values a slope is computed from. */
  min_points: z.number().int().min(2).default(2),
  /** The threshold of `time_above`, in the values' unit (after `transform`). */
  above: z.number().optional(),
  /** UCUM unit values are converted into before aggregation (default: the feature's unit). */
  unit: z.string().min(1).optional(),
  /** Applied to each value before aggregation (log: natural logarithm, values must be positive). */
  transform: z.enum(['log']).optional(),
  /** A coded value (Observation.valueCodeableConcept, an answer's valueCoding) becomes 1 when it is one of these, else 0. */
  one_hot: z.array(coding).min(1).optional(),
});

export type HistorySource = z.infer<typeof historySource>;

/** Value sets: named lists of codes, shared by features. */
export const valueSets = z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), z.array(coding).min(1));
export type ValueSets = z.infer<typeof valueSets>;

const EVENT_RESOURCES: readonly HistoryResource[] = ['Condition', 'Encounter', 'Procedure', 'MedicationRequest', 'MedicationStatement', 'MedicationAdministration'];
const VALUE_AGGREGATIONS = ['latest', 'previous', 'delta', 'slope', 'mean', 'min', 'max', 'time_above'];
/** Aggregations whose result is in the values' unit: the feature's unit is the values' unit by default. */
export const SAME_UNIT_AGGREGATIONS: readonly string[] = ['latest', 'previous', 'delta', 'mean', 'min', 'max'];

/** The rule a history source breaks, as 'field: message', or undefined. `featureUnit`: the feature's own unit. */
export function historySpecProblem(s: HistorySource, sets: ValueSets, featureUnit?: string): string | undefined {
  if (s.value_set !== undefined && !Object.hasOwn(sets, s.value_set)) return `value_set: '${s.value_set}' is not in preprocessing.value_sets (${Object.keys(sets).join(', ') || 'none declared'})`;
  const hasCodes = s.codes !== undefined || s.value_set !== undefined;
  if (s.resource === 'QuestionnaireResponse') {
    if (!s.link_id) return 'link_id: a QuestionnaireResponse feature names the item (linkId) it reads';
  } else if (s.link_id !== undefined || s.questionnaire !== undefined) return `link_id: only QuestionnaireResponse features name an item`;
  if (s.resource !== 'Encounter' && s.resource !== 'QuestionnaireResponse' && !hasCodes) return `codes: a ${s.resource} feature needs codes or a value_set`;
  if (s.resource === 'Condition' && s.statuses) return 'statuses: a Condition has no status; refuted and entered-in-error ones are never used';
  if (s.resource !== 'Encounter' && s.encounter_class !== undefined) return 'encounter_class: only Encounter features have a class';
  if (EVENT_RESOURCES.includes(s.resource) && VALUE_AGGREGATIONS.includes(s.aggregate)) {
    return `aggregate: a ${s.resource} has no value to take the ${s.aggregate} of; use count, days_since_latest, days_since_first${s.resource === 'Encounter' || s.resource.startsWith('Medication') ? ' or exposure_days' : ''}`;
  }
  if (s.aggregate === 'exposure_days' && !(s.resource === 'Encounter' || s.resource.startsWith('Medication'))) return `aggregate: exposure_days reads periods (Encounter, Medication*), not ${s.resource}`;
  if (s.aggregate === 'time_above' && s.above === undefined) return 'above: time_above needs the threshold';
  if (s.one_hot && s.resource !== 'Observation' && s.resource !== 'QuestionnaireResponse') return 'one_hot: only coded values (Observation, QuestionnaireResponse) are one-hot encoded';
  if (s.transform && !VALUE_AGGREGATIONS.includes(s.aggregate)) return `transform: ${s.aggregate} does not aggregate values`;
  if (featureUnit !== undefined && s.unit === undefined && !s.transform && (s.aggregate === 'slope' || s.aggregate === 'time_above')) {
    return `unit: '${featureUnit}' is the unit of the ${s.aggregate}; say in "unit" which unit the values are converted into before it is computed`;
  }
  return undefined;
}
