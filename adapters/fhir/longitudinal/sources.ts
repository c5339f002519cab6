import { convertUnit } from '../../tabular/units.js';
import { conditionOnset, medicationPeriod, observationTime } from '../clinical-time.js';
import { asArray, asString, isObject, matchesAny, type Json } from '../fhir-json.js';
import type { HistoryResource, HistorySource } from './history-spec.js';
import { ownEntry } from '../../own-entry.js';

/**
 * Reads a patient's resources of one type into time-stamped values (and periods, for exposure), keeping
 * only what the history source selects. Nothing dated after the reference time is returned, by the same
 * rules as the other FHIR features (clinical-time.ts): an Observation at its effective time (a period at
 * its end; `issued` when that is all there is), a Condition at its onset or recorded date, medications,
 * Encounters and Procedures from the start of their period. One without a time is reported, not used.
 */
export interface HistoryResourceRef {
  readonly resource: Json;
  /** Its entry in the request Bundle. */
  readonly index: number;
  readonly reference: string;
}

export interface HistoryPoint {
  readonly time: number;
  /** Periods (stays, medication courses) end here (Infinity: still going); undefined: a point in time. */
  readonly end?: number;
  readonly value: number;
  readonly reference: string;
  /** The resource's status (the RiskAssessment's status follows the Observations used). */
  readonly status: string;
}

export interface SourceIssue {
  readonly message: string;
  readonly expression: string;
  /** Said for the record (data after the reference time, a status the feature does not use), not a problem with the data. */
  readonly information?: boolean;
}

export interface ReadOptions {
  /** Codes selected (inline codes and the value set together). */
  readonly codes: readonly { system: string; code: string }[];
  /** Unit values are converted into (UCUM), when the values are quantities. */
  readonly unit: string | undefined;
  readonly molecularWeight: number | undefined;
  /** Category codes of the feature (`encoding`), for coded values that are not one-hot. */
  readonly encoding: Record<string, number> | undefined;
}

/** Statuses whose resources are used; anything else is reported and left out. */
const USABLE: Record<HistoryResource, readonly string[]> = {
  Observation: ['final', 'amended', 'corrected'],
  Condition: [],
  Encounter: ['finished', 'in-progress', 'onleave', 'arrived', 'triaged'],
  Procedure: ['completed', 'in-progress'],
  MedicationRequest: ['active', 'completed', 'on-hold', 'stopped'],
  MedicationStatement: ['active', 'completed', 'intended', 'on-hold', 'stopped'],
  MedicationAdministration: ['completed', 'in-progress', 'stopped'],
  QuestionnaireResponse: ['completed', 'amended'],
};

const date = (v: unknown): number | undefined => {
  if (typeof v !== 'string') return undefined;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? undefined : t;
};
const periodOf = (p: unknown): { start?: number; end?: number } => (isObject(p) ? { start: date(p.start), end: date(p.end) } : {});

/** Reads the selected values of `refs` (all of type `source.resource`) dated at or before `at`. */
export function readHistory(source: HistorySource, refs: readonly HistoryResourceRef[], at: number, options: ReadOptions): { points: HistoryPoint[]; issues: SourceIssue[] } {
  const points: HistoryPoint[] = [];
  const issues: SourceIssue[] = [];
  for (const ref of refs) {
    const r = ref.resource;
    const where = `Bundle.entry[${ref.index}].resource`;
    const selected = select(source, r, options);
    if (selected.length === 0) continue;
    const status = asString(r.status);
    const usable = source.statuses ?? USABLE[source.resource];
    if (source.resource === 'Condition' && !source.statuses ? !conditionUsable(r) : !usable.includes(status ?? '')) {
      issues.push({ message: `${ref.reference} has status '${(status ?? 'none').slice(0, 20)}' (used: ${usable.length ? usable.join(', ') : 'not refuted or in error'}); not used`, expression: where, information: true });
      continue;
    }
    const when = timeOf(source.resource, r);
    if (when.start === undefined) {
      issues.push({ message: `${ref.reference} has no date to place it in time; not used`, expression: where });
      continue;
    }
    if (when.start > at) {
      issues.push({ message: `${ref.reference} is dated after the reference time ${new Date(at).toISOString()}; not used`, expression: where, information: true });
      continue;
    }
    for (const holder of selected) {
      const read = valueOf(source, holder.value, options);
      if ('problem' in read) {
        issues.push({ message: `${ref.reference} ${read.problem}; not used`, expression: `${where}${holder.path}` });
        continue;
      }
      points.push({ time: when.start, ...(when.end !== undefined ? { end: when.end } : {}), value: read.value, reference: ref.reference, status: status ?? 'unknown' });
    }
  }
  return { points, issues };
}

/** The parts of a resource the source selects, each with what holds its value (and its FHIRPath below the resource). */
function select(source: HistorySource, r: Json, o: ReadOptions): { value: Json | undefined; path: string }[] {
  switch (source.resource) {
    case 'Observation': {
      const slots: { concept: unknown; holder: Json; path: string }[] = [{ concept: r.code, holder: r, path: '' }];
      asArray(r.component).forEach((c, k) => isObject(c) && slots.push({ concept: c.code, holder: c, path: `.component[${k}]` }));
      const slot = slots.find((s) => matchesAny(s.concept, o.codes));
      return slot ? [{ value: slot.holder, path: slot.path }] : [];
    }
    case 'Condition':
    case 'Procedure':
      return matchesAny(r.code, o.codes) ? [{ value: undefined, path: '' }] : [];
    case 'Encounter': {
      const cls = isObject(r.class) ? asString(r.class.code) : undefined;
      if (source.encounter_class && !source.encounter_class.includes(cls ?? '')) return [];
      if (o.codes.length && !asArray(r.type).some((t) => matchesAny(t, o.codes))) return [];
      return [{ value: undefined, path: '' }];
    }
    case 'MedicationRequest':
    case 'MedicationStatement':
    case 'MedicationAdministration':
      return matchesAny(r.medicationCodeableConcept, o.codes) ? [{ value: undefined, path: '' }] : [];
    case 'QuestionnaireResponse': {
      const canonical = asString(r.questionnaire)?.split('|')[0];
      if (source.questionnaire !== undefined && canonical !== source.questionnaire.split('|')[0]) return [];
      return itemsWithLinkId(asArray(r.item), source.link_id!, '').flatMap(({ item, path }) =>
        asArray(item.answer).filter(isObject).map((answer, k) => ({ value: answer, path: `${path}.answer[${k}]` })));
    }
  }
}

function itemsWithLinkId(items: unknown[], linkId: string, path: string): { item: Json; path: string }[] {
  return items.flatMap((item, k) => {
    if (!isObject(item)) return [];
    const here = `${path}.item[${k}]`;
    const own = item.linkId === linkId ? [{ item, path: here }] : [];
    return [...own, ...itemsWithLinkId(asArray(item.item), linkId, here)];
  });
}

function conditionUsable(r: Json): boolean {
  const verification = isObject(r.verificationStatus) ? asArray(r.verificationStatus.coding).filter(isObject).map((c) => c.code) : [];
  return !verification.some((c) => c === 'refuted' || c === 'entered-in-error');
}

function timeOf(type: HistoryResource, r: Json): { start?: number; end?: number } {
  switch (type) {
    case 'Observation':
      return { start: observationTime(r)?.end };
    case 'Condition':
      return { start: conditionOnset(r)?.start };
    case 'Encounter': {
      const stay = periodOf(r.period);
      return { start: stay.start, end: stay.end ?? Number.POSITIVE_INFINITY };
    }
    case 'Procedure': {
      const p = periodOf(r.performedPeriod);
      return { start: date(r.performedDateTime) ?? p.start, end: p.end };
    }
    case 'MedicationStatement':
    case 'MedicationRequest': {
      // A request's dispense validity is the closest it says to a period taken; else medicationPeriod's rules.
      const validity = r.resourceType === 'MedicationRequest' && isObject(r.dispenseRequest) ? periodOf(r.dispenseRequest.validityPeriod) : {};
      if (validity.start !== undefined) return { start: validity.start, end: validity.end ?? Number.POSITIVE_INFINITY };
      const taken = medicationPeriod(r);
      if (!taken || !Number.isFinite(taken.start)) return {};
      return { start: taken.start, end: taken.end };
    }
    case 'MedicationAdministration': {
      const at = date(r.effectiveDateTime);
      const given = periodOf(r.effectivePeriod);
      return at !== undefined ? { start: at, end: at } : { start: given.start, end: given.end ?? Number.POSITIVE_INFINITY };
    }
    case 'QuestionnaireResponse':
      return { start: date(r.authored) };
  }
}

/** The number a selected part holds: 1 for events (a Condition, a stay), the converted value for measurements. */
function valueOf(source: HistorySource, holder: Json | undefined, o: ReadOptions): { value: number } | { problem: string } {
  if (holder === undefined) return { value: 1 };
  const read = rawValue(source, holder, o);
  if ('problem' in read || source.transform !== 'log') return read;
  return read.value > 0 ? { value: Math.log(read.value) } : { problem: `is ${read.value}, which has no logarithm` };
}

function rawValue(source: HistorySource, h: Json, o: ReadOptions): { value: number } | { problem: string } {
  if (isObject(h.valueQuantity)) {
    const q = h.valueQuantity;
    if (typeof q.value !== 'number' || !Number.isFinite(q.value)) return { problem: 'has a valueQuantity without a number' };
    if (q.comparator !== undefined) return { problem: `is censored ('${String(q.comparator).slice(0, 2)} ${q.value}'), not a value` };
    if (!o.unit) return { value: q.value };
    const unit = asString(q.code) ?? asString(q.unit);
    if (!unit) return { problem: `gives no unit (expected ${o.unit} or a convertible UCUM unit)` };
    const converted = convertUnit(q.value, unit, o.unit, o.molecularWeight);
    return converted.ok ? { value: converted.value } : { problem: `is in '${unit}', which cannot be converted to ${o.unit} (${converted.reason})` };
  }
  if (typeof h.valueInteger === 'number') return { value: h.valueInteger };
  if (typeof h.valueDecimal === 'number') return { value: h.valueDecimal };
  if (typeof h.valueBoolean === 'boolean') return { value: h.valueBoolean ? 1 : 0 };
  const concept = isObject(h.valueCodeableConcept) ? h.valueCodeableConcept : isObject(h.valueCoding) ? { coding: [h.valueCoding] } : undefined;
  if (concept) {
    if (source.one_hot) return { value: matchesAny(concept, source.one_hot) ? 1 : 0 };
    const codes = asArray(concept.coding).filter(isObject).map((c) => asString(c.code)).filter((c): c is string => !!c);
    const value = codes.map((c) => ownEntry(o.encoding, c)).find((v) => v !== undefined);
    return value !== undefined ? { value } : { problem: `has a coded value (${codes.join(', ') || 'no code'}) the model does not know` };
  }
  return { problem: 'has no valueQuantity, valueInteger, valueDecimal, valueBoolean or coded value' };
}
