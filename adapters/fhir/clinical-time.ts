import { isObject, type Json } from './fhir-json.js';

/**
 * When a FHIR fact applies, read per resource type so that nothing dated after the reference time is
 * used. Each function gives `start` (the time used to order and to apply look-backs) and `end` (the
 * latest time the fact refers to); undefined when the resource carries no usable date.
 */
export interface FactTime {
  readonly start: number;
  readonly end: number;
  /** Which element gave the time (for messages). */
  readonly element: string;
}

const parse = (v: unknown): number | undefined => {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
};

function period(value: unknown, element: string): FactTime | undefined {
  if (!isObject(value)) return undefined;
  const start = parse(value.start);
  const end = parse(value.end);
  if (start === undefined && end === undefined) return undefined;
  return { start: start ?? end!, end: end ?? start!, element };
}

function instant(value: unknown, element: string): FactTime | undefined {
  const t = parse(value);
  return t === undefined ? undefined : { start: t, end: t, element };
}

/** Observation: effective[x] (a period counts at its end); `issued` only when there is no effective[x]. */
export function observationTime(r: Json): FactTime | undefined {
  return instant(r.effectiveDateTime, 'effectiveDateTime') ?? instant(r.effectiveInstant, 'effectiveInstant') ?? period(r.effectivePeriod, 'effectivePeriod')
    ?? (r.effectiveDateTime === undefined && r.effectiveInstant === undefined && r.effectivePeriod === undefined && r.effectiveTiming === undefined ? instant(r.issued, 'issued') : undefined);
}

/** Condition: onset (dateTime or period start), else recordedDate. */
export function conditionOnset(r: Json): FactTime | undefined {
  const onset = instant(r.onsetDateTime, 'onsetDateTime') ?? period(r.onsetPeriod, 'onsetPeriod');
  return onset ? { start: onset.start, end: onset.start, element: onset.element } : instant(r.recordedDate, 'recordedDate');
}

/** Condition: when it abated, if it says so with a date. */
export function conditionAbatement(r: Json): number | undefined {
  return parse(r.abatementDateTime) ?? (isObject(r.abatementPeriod) ? parse(r.abatementPeriod.end) ?? parse(r.abatementPeriod.start) : undefined);
}

/**
 * MedicationStatement / MedicationRequest: the period taken. A period without an end, a single
 * effectiveDateTime, or only dateAsserted / authoredOn give a start and no end (still taken).
 */
export function medicationPeriod(r: Json): FactTime | undefined {
  const p = isObject(r.effectivePeriod) ? r.effectivePeriod : undefined;
  const start = parse(r.effectiveDateTime) ?? (p ? parse(p.start) : undefined);
  const end = p ? parse(p.end) : undefined;
  if (start !== undefined || end !== undefined) return { start: start ?? Number.NEGATIVE_INFINITY, end: end ?? Number.POSITIVE_INFINITY, element: r.effectiveDateTime !== undefined ? 'effectiveDateTime' : 'effectivePeriod' };
  const asserted = parse(r.dateAsserted) ?? parse(r.authoredOn);
  return asserted === undefined ? undefined : { start: asserted, end: Number.POSITIVE_INFINITY, element: r.dateAsserted !== undefined ? 'dateAsserted' : 'authoredOn' };
}
