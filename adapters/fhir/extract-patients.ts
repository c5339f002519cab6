import { CodedError } from '../coded-error.js';
import type { FeatureIssue, RawFeatureValue } from '../tabular/feature-values.js';
import { rowFrom, type RecordRow } from '../tabular/records.js';
import type { FeatureSpec, FhirSource, TabularSpec } from '../tabular/tabular-spec.js';
import { convertUnit } from '../tabular/units.js';
import { conditionAbatement, conditionOnset, medicationPeriod, observationTime } from './clinical-time.js';
import { asArray, asString, isObject, matchesAny, type Json } from './fhir-json.js';
import { historyFeature } from './longitudinal/history-feature.js';
import { ownEntry } from '../own-entry.js';

/** A feature problem located in the request Bundle (FHIRPath of the resource it concerns). */
export interface LocatedIssue extends FeatureIssue {
  readonly expression?: string;
}

export interface PatientFeatures {
  /** How the RiskAssessment refers to the patient (`Patient/{id}` or the entry's fullUrl). */
  readonly reference: string;
  /** The Patient's entry in the request Bundle. */
  readonly index: number;
  readonly row: RecordRow & { readonly issues: LocatedIssue[] };
  /** References of every resource whose value was used. */
  readonly basis: string[];
  /** `preliminary` when any Observation used is (its feature's status policy allowed it), else `final`. */
  readonly status: 'final' | 'preliminary';
}

/** A FHIR Bundle or resource that cannot be read as the model's records (INVALID_REQUEST, the field named). */
export class FhirInputError extends CodedError<'INVALID_REQUEST'> {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
    this.name = 'FhirInputError';
  }
}

const UCUM = 'http://unitsofmeasure.org';
/** Never a result, whatever a feature's status policy says. */
const NEVER_USED_STATUS = new Set(['entered-in-error', 'cancelled']);
/** Observation statuses a RiskAssessment built on them can call final. */
const FINAL_STATUS = new Set(['final', 'amended', 'corrected']);
const DAY_MS = 86_400_000;

interface Indexed {
  resource: Json;
  index: number;
  reference: string;
}

/**
 * Reads a FHIR R4 Bundle (Patient plus Observations, Conditions, MedicationStatements) into one feature
 * row per Patient, following each feature's `fhir` declaration. What is missing, unconvertible or out of
 * range becomes an issue located in the Bundle.
 */
export function extractPatients(spec: TabularSpec, bundle: unknown, at: Date): PatientFeatures[] {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') throw new FhirInputError("the body must be a FHIR Bundle (resourceType 'Bundle')");
  const entries = asArray(bundle.entry);
  const resources: Indexed[] = [];
  entries.forEach((entry, index) => {
    if (!isObject(entry) || !isObject(entry.resource) || typeof entry.resource.resourceType !== 'string') return;
    const r = entry.resource;
    const id = asString(r.id);
    const reference = id ? `${r.resourceType}/${id}` : asString(entry.fullUrl) ?? `${r.resourceType}#${index}`;
    resources.push({ resource: r, index, reference });
  });
  const patients = resources.filter((r) => r.resource.resourceType === 'Patient');
  if (patients.length === 0) throw new FhirInputError('the Bundle holds no Patient resource: add the patient the prediction is for');
  const aliases = new Map<string, Indexed>();
  for (const p of patients) {
    aliases.set(p.reference, p);
    const fullUrl = asString((entries[p.index] as Json).fullUrl);
    if (fullUrl) aliases.set(fullUrl, p);
  }
  const ofPatient = (p: Indexed, type: string) =>
    resources.filter((r) => {
      if (r.resource.resourceType !== type) return false;
      const subject = isObject(r.resource.subject) ? asString(r.resource.subject.reference) : undefined;
      return subject !== undefined && aliases.get(subject) === p;
    });
  return patients.map((p) => {
    const basis = new Set<string>();
    const statuses = new Set<string>();
    const located: LocatedIssue[] = [];
    const context = { patient: p, at, observations: ofPatient(p, 'Observation'), conditions: ofPatient(p, 'Condition'), medications: ofPatient(p, 'MedicationStatement'), ofType: (type: string) => ofPatient(p, type), valueSets: spec.value_sets };
    const row = rowFrom(spec, (name) => {
      const feature = spec.features.find((f) => f.name === name)!;
      const found = findFeature(feature, context);
      found.used.forEach((u) => basis.add(u));
      found.statuses?.forEach((st) => statuses.add(st));
      located.push(...found.issues);
      return { raw: found.raw, ...(found.absentBecause ? { absentBecause: found.absentBecause } : {}) };
    });
    const where = `Bundle.entry[${p.index}].resource`;
    // Issues about reading a resource point at it; issues about the feature's value point at the Patient.
    const issues: LocatedIssue[] = [...located, ...row.issues.map((i) => ({ ...i, expression: where }))];
    const status = [...statuses].every((st) => FINAL_STATUS.has(st)) ? 'final' : 'preliminary';
    return { reference: p.reference, index: p.index, row: { ...row, issues }, basis: [p.reference, ...[...basis].filter((b) => b !== p.reference)], status };
  });
}

interface Found {
  raw: RawFeatureValue;
  absentBecause?: string;
  used: string[];
  issues: LocatedIssue[];
  /** Observation.status of each Observation used. */
  statuses?: string[];
}

interface Context {
  patient: Indexed;
  at: Date;
  observations: Indexed[];
  conditions: Indexed[];
  medications: Indexed[];
  /** The patient's resources of a type (history features). */
  ofType: (type: string) => Indexed[];
  valueSets: TabularSpec['value_sets'];
}

function findFeature(feature: FeatureSpec, ctx: Context): Found {
  const source = feature.fhir;
  if (!source) return { raw: undefined, absentBecause: 'the bundle does not say where it comes from in FHIR', used: [], issues: [] };
  switch (source.source) {
    case 'patient_age': {
      const birth = asString(ctx.patient.resource.birthDate);
      const born = birth ? new Date(birth.length === 4 ? `${birth}-07-01` : birth.length === 7 ? `${birth}-15` : birth) : undefined;
      if (!born || Number.isNaN(born.getTime())) return { raw: undefined, absentBecause: 'Patient.birthDate is absent', used: [], issues: [] };
      return { raw: ageInYears(born, ctx.at), used: [ctx.patient.reference], issues: [] };
    }
    case 'patient_gender': {
      const gender = asString(ctx.patient.resource.gender);
      const value = gender === undefined ? undefined : ownEntry(source.map, gender);
      if (value === undefined) return { raw: undefined, absentBecause: gender ? `Patient.gender '${gender}' has no value in the model` : 'Patient.gender is absent', used: [], issues: [] };
      return { raw: value, used: [ctx.patient.reference], issues: [] };
    }
    case 'observation':
      return fromObservations(feature, source, ctx);
    case 'condition':
    case 'medication': {
      const at = ctx.at.getTime();
      const list = source.source === 'condition' ? ctx.conditions : ctx.medications;
      const hits = list.filter((r) => isCurrent(r.resource) && matchesAny(source.source === 'condition' ? r.resource.code : r.resource.medicationCodeableConcept, source.codes));
      // Nothing that began after the reference time counts; nor what had ended (abated, stopped) before it.
      const current = hits.filter((r) => (source.source === 'condition' ? conditionAt(r.resource, at) : medicationAt(r.resource, at)));
      return { raw: current.length ? source.present : source.absent, used: current.map((h) => h.reference), issues: [] };
    }
    case 'history': {
      const h = historyFeature(feature, source, ctx.valueSets, ctx.ofType(source.resource), ctx.at);
      return { raw: h.value, ...(h.absentBecause ? { absentBecause: h.absentBecause } : {}), used: [...h.used], issues: h.issues, statuses: [...h.statuses] };
    }
  }
}

function fromObservations(feature: FeatureSpec, source: Extract<FhirSource, { source: 'observation' }>, ctx: Context): Found {
  const since = ctx.at.getTime() - source.lookback_days * DAY_MS;
  const issues: LocatedIssue[] = [];
  const values: { value: number; time: number; reference: string; status: string }[] = [];
  const codes = source.codes.map((c) => `${c.system}|${c.code}`).join(', ');
  for (const obs of ctx.observations) {
    const r = obs.resource;
    const where = `Bundle.entry[${obs.index}].resource`;
    const slots: { concept: unknown; holder: Json; path: string }[] = [{ concept: r.code, holder: r, path: where }];
    asArray(r.component).forEach((c, k) => isObject(c) && slots.push({ concept: c.code, holder: c, path: `${where}.component[${k}]` }));
    const slot = slots.find((s) => matchesAny(s.concept, source.codes));
    if (!slot) continue;
    const status = asString(r.status) ?? 'unknown';
    if (NEVER_USED_STATUS.has(status)) continue;
    if (!(source.statuses as readonly string[]).includes(status)) {
      issues.push({ feature: feature.name, severity: 'information', code: 'informational', message: `${feature.name}: ${obs.reference} has status '${status.slice(0, 20)}', which this model does not use (${source.statuses.join(', ')}); not used`, expression: where });
      continue;
    }
    const time = observationTime(r);
    if (!time) {
      issues.push({ feature: feature.name, severity: 'warning', code: 'invalid', message: `${feature.name}: ${obs.reference} has no effective time and was not used`, expression: where });
      continue;
    }
    if (time.end > ctx.at.getTime()) {
      issues.push({ feature: feature.name, severity: 'information', code: 'informational', message: `${feature.name}: ${obs.reference} is dated after the reference time ${ctx.at.toISOString()} (${time.element}); not used`, expression: where });
      continue;
    }
    if (time.end < since) continue;
    const read = readObservationValue(feature, source, slot.holder);
    if ('problem' in read) {
      issues.push({ feature: feature.name, severity: 'warning', code: 'value', message: `${feature.name}: ${obs.reference} ${read.problem}; not used`, expression: slot.path });
      continue;
    }
    values.push({ value: read.value, time: time.end, reference: obs.reference, status });
  }
  if (values.length === 0) {
    return { raw: undefined, absentBecause: `no usable Observation ${codes} in the ${source.lookback_days} days before ${ctx.at.toISOString().slice(0, 10)}`, used: [], issues };
  }
  values.sort((a, b) => b.time - a.time);
  const picked = pick(source.pick, values);
  let raw = picked.value;
  if (source.threshold) raw = raw > source.threshold.above ? 1 : 0;
  const statuses = values.filter((v) => picked.used.includes(v.reference)).map((v) => v.status);
  return { raw, used: picked.used, issues, statuses };
}

function readObservationValue(feature: FeatureSpec, source: Extract<FhirSource, { source: 'observation' }>, holder: Json): { value: number } | { problem: string } {
  const targetUnit = source.threshold?.unit ?? feature.unit;
  if (isObject(holder.valueQuantity)) {
    const q = holder.valueQuantity;
    if (typeof q.value !== 'number') return { problem: 'has a valueQuantity without a number' };
    const unit = (asString(q.system) === UCUM ? asString(q.code) : undefined) ?? asString(q.code) ?? asString(q.unit);
    let value = q.value;
    if (targetUnit) {
      if (!unit) return { problem: `gives no unit (expected ${targetUnit} or a convertible UCUM unit)` };
      const converted = convertUnit(q.value, unit, targetUnit, feature.molecular_weight);
      if (!converted.ok) return { problem: `is in '${unit}', which cannot be converted to ${targetUnit} (${converted.reason})` };
      value = converted.value;
    }
    return censored(source, asString(q.comparator), value, `${q.value} ${unit ?? ''}`.trim());
  }
  if (typeof holder.valueInteger === 'number') return { value: holder.valueInteger };
  if (typeof holder.valueBoolean === 'boolean') return { value: holder.valueBoolean ? 1 : 0 };
  if (isObject(holder.valueCodeableConcept)) {
    const codes = asArray(holder.valueCodeableConcept.coding).filter(isObject).map((c) => asString(c.code)).filter((c): c is string => !!c);
    const value = codes.map((c) => ownEntry(feature.encoding, c)).find((v) => v !== undefined);
    return value !== undefined ? { value } : { problem: `has a coded value (${codes.join(', ') || 'no code'}) that is not one of ${Object.keys(feature.encoding ?? {}).join(', ') || 'the model categories'}` };
  }
  return { problem: 'has no valueQuantity, valueInteger, valueBoolean or valueCodeableConcept' };
}

/**
 * A value given with a comparator (`>9 mmol/L`) is a bound, not a measurement. It is used when it settles
 * the feature's threshold (above 9 is above 7), or as the bound when the feature declares `comparator:
 * bound`; otherwise it is refused as censored.
 */
function censored(source: Extract<FhirSource, { source: 'observation' }>, comparator: string | undefined, value: number, shown: string): { value: number } | { problem: string } {
  if (comparator === undefined) return { value };
  if (!['<', '<=', '>=', '>'].includes(comparator)) return { problem: `has an unknown comparator '${comparator.slice(0, 8)}'` };
  const t = source.threshold?.above;
  if (t !== undefined && ((comparator[0] === '>' && (value > t || (comparator === '>' && value === t))) || (comparator[0] === '<' && value <= t))) return { value };
  if (source.comparator === 'bound') return { value };
  return { problem: `is censored (${comparator}${shown}): the model needs a measured value (the feature may declare "comparator": "bound")` };
}

function pick(how: 'latest' | 'mean' | 'min' | 'max', values: { value: number; reference: string }[]): { value: number; used: string[] } {
  switch (how) {
    case 'latest': return { value: values[0]!.value, used: [values[0]!.reference] };
    case 'mean': return { value: values.reduce((s, v) => s + v.value, 0) / values.length, used: values.map((v) => v.reference) };
    case 'min': {
      const m = values.reduce((a, b) => (b.value < a.value ? b : a));
      return { value: m.value, used: [m.reference] };
    }
    case 'max': {
      const m = values.reduce((a, b) => (b.value > a.value ? b : a));
      return { value: m.value, used: [m.reference] };
    }
  }
}

function conditionAt(r: Json, at: number): boolean {
  const onset = conditionOnset(r);
  if (onset && onset.start > at) return false;
  const abated = conditionAbatement(r);
  return abated === undefined || abated > at;
}

function medicationAt(r: Json, at: number): boolean {
  const taken = medicationPeriod(r);
  return !taken || (taken.start <= at && taken.end >= at);
}

function isCurrent(resource: Json): boolean {
  const status = asString(resource.status);
  if (status && ['entered-in-error', 'not-taken', 'stopped'].includes(status)) return false;
  const clinical = isObject(resource.clinicalStatus) ? asArray(resource.clinicalStatus.coding).filter(isObject).map((c) => c.code) : [];
  if (clinical.some((c) => c === 'inactive' || c === 'resolved' || c === 'remission')) return false;
  const verification = isObject(resource.verificationStatus) ? asArray(resource.verificationStatus.coding).filter(isObject).map((c) => c.code) : [];
  return !verification.some((c) => c === 'refuted' || c === 'entered-in-error');
}

function ageInYears(born: Date, at: Date): number {
  let age = at.getUTCFullYear() - born.getUTCFullYear();
  const beforeBirthday = at.getUTCMonth() < born.getUTCMonth() || (at.getUTCMonth() === born.getUTCMonth() && at.getUTCDate() < born.getUTCDate());
  if (beforeBirthday) age--;
  return age;
}
