import { z } from 'zod';
import { historySource, historySpecProblem, valueSets } from '../fhir/longitudinal/history-spec.js';
import { validateUnit } from './units.js';

/**
 * The `preprocessing` of a tabular bundle: one declaration per model input column, in column order.
 * Parsed once when the bundle loads (a mistake makes that version UNAVAILABLE, naming the field).
 */
const coding = z.strictObject({ system: z.string().min(1), code: z.string().min(1) });
const translations = z.record(z.string(), z.string());

/** FHIR R4 Observation.status codes. */
export const OBSERVATION_STATUSES = ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'] as const;

const fhirSource = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('patient_age') }),
  z.strictObject({ source: z.literal('patient_gender'), map: z.record(z.string(), z.number()).default({ female: 0, male: 1 }) }),
  z.strictObject({
    source: z.literal('observation'),
    /** Observation.code (or a component's code) matching any of these. */
    codes: z.array(coding).min(1),
    pick: z.enum(['latest', 'mean', 'min', 'max']).default('latest'),
    lookback_days: z.number().positive().default(365),
    /** Turns the value into 1 when above (or 0), after conversion to `threshold_unit`. */
    threshold: z.strictObject({ above: z.number(), unit: z.string() }).optional(),
    /** Observation.status values whose results are used (others are left out, with an issue). */
    statuses: z.array(z.enum(OBSERVATION_STATUSES)).min(1).default(['final', 'amended', 'corrected']),
    /**
     * A censored value (valueQuantity.comparator <, <=, >=, >): `refuse` leaves it out (default);
     * `bound` uses the bound as the value. Either way a censored value that settles `threshold` is used.
     */
    comparator: z.enum(['refuse', 'bound']).default('refuse'),
  }),
  z.strictObject({ source: z.enum(['condition', 'medication']), codes: z.array(coding).min(1), present: z.number().default(1), absent: z.number().default(0) }),
  /** Aggregations over a window of the patient's history (adapters/fhir/longitudinal). */
  historySource,
]);

const feature = z.strictObject({
  // A name keys records and tables (coefficients, drift histograms): one Object.prototype carries
  // ('constructor', 'toString') would read that member where the name is absent.
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).refine((name) => !(name in Object.prototype), { error: (issue) => `'${String(issue.input)}' is a JavaScript Object member name; choose another feature name` }),
  type: z.enum(['number', 'boolean', 'category']),
  /** UCUM unit the model was trained in (numbers). */
  unit: z.string().optional(),
  range: z.tuple([z.number(), z.number()]).optional(),
  /** g/mol of the measured substance: converts between mass and substance units (mg/dL <-> mmol/L). */
  molecular_weight: z.number().positive().optional(),
  /** Category codes the model accepts, and names a caller may use for them. */
  values: z.array(z.number()).optional(),
  encoding: z.record(z.string(), z.number()).optional(),
  /** Display names of category codes, per language ({"1": {"en": "Typical angina", "fr": ...}}), for cards. */
  value_labels: z.record(z.string(), translations).optional(),
  /** impute_in_graph: NaN goes in, the ONNX graph imputes; required: absence is an error; or a value to use. */
  missing: z.union([z.enum(['impute_in_graph', 'required']), z.strictObject({ impute: z.number() })]).default('required'),
  /** Standardisation to apply when the graph does not include it. */
  scaling: z.strictObject({ mean: z.number(), std: z.number().positive() }).optional(),
  label: translations.optional(),
  fhir: fhirSource.optional(),
});

/**
 * The least observed data a prediction needs: features that must be observed (not imputed), and the
 * largest share of features that may be imputed. Below it the answer is INSUFFICIENT_DATA.
 */
const leastObserved = z.strictObject({
  required: z.array(z.string()).default([]),
  max_imputed_share: z.number().min(0).max(1).default(1),
});

export const tabularSpecSchema = z.strictObject({
  kind: z.literal('tabular'),
  input: z.string().min(1),
  features: z.array(feature).min(1),
  /** Named lists of codes that history features select by `value_set`. */
  value_sets: valueSets.default({}),
  least_observed: leastObserved.optional(),
});

export type TabularSpec = z.infer<typeof tabularSpecSchema>;
export type FeatureSpec = TabularSpec['features'][number];
export type FhirSource = NonNullable<FeatureSpec['fhir']>;

/**
 * Validates a tabular preprocessing declaration against the model input it feeds
 * (one column per feature) and the UCUM units. Throws Error('field: message').
 */
export function parseTabularSpec(raw: unknown, input: { name: string; shape: readonly number[] } | undefined): TabularSpec {
  const parsed = tabularSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`preprocessing.${issue.path.join('.')}: ${issue.message}`);
  }
  const spec = parsed.data;
  if (!input || input.name !== spec.input) throw new Error(`preprocessing.input: '${spec.input}' is not the model's input`);
  const columns = input.shape[input.shape.length - 1];
  if (input.shape.length !== 2 || (columns !== -1 && columns !== spec.features.length)) {
    throw new Error(`preprocessing.features: ${spec.features.length} features declared, input '${input.name}' has shape [${input.shape.join(',')}]`);
  }
  spec.features.forEach((f, i) => {
    const at = `preprocessing.features[${i}]`;
    for (const unit of [f.unit, f.fhir?.source === 'observation' ? f.fhir.threshold?.unit : undefined]) {
      if (unit !== undefined && !validateUnit(unit)) throw new Error(`${at}: '${unit}' is not a valid UCUM unit`);
    }
    if (f.range && f.range[0] > f.range[1]) throw new Error(`${at}.range: minimum above maximum`);
    if (f.fhir?.source === 'history') {
      const problem = historySpecProblem(f.fhir, spec.value_sets, f.unit);
      if (problem) throw new Error(`${at}.fhir.${problem}`);
      if (f.fhir.unit !== undefined && !validateUnit(f.fhir.unit)) throw new Error(`${at}.fhir.unit: '${f.fhir.unit}' is not a valid UCUM unit`);
    }
  });
  const names = new Set(spec.features.map((f) => f.name));
  if (names.size !== spec.features.length) throw new Error('preprocessing.features: a feature name is used twice');
  spec.least_observed?.required.forEach((name, i) => {
    if (!names.has(name)) throw new Error(`preprocessing.least_observed.required[${i}]: '${name}' is not a feature (the features are ${[...names].join(', ')})`);
  });
  return spec;
}
