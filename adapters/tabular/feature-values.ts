import type { FeatureSpec } from './tabular-spec.js';
import { convertUnit } from './units.js';
import { ownEntry } from '../own-entry.js';

/** A problem with one feature of one record, phrased for the caller. */
export interface FeatureIssue {
  readonly feature: string;
  readonly severity: 'error' | 'warning' | 'information';
  /** FHIR issue-type codes, so the FHIR adapter can use them as they are. */
  readonly code: 'required' | 'value' | 'invalid' | 'not-found' | 'informational' | 'incomplete';
  readonly message: string;
}

/** What a caller may give for a feature: a number, a boolean, a category name, or {value, unit}. */
export type RawFeatureValue = number | boolean | string | { value: number; unit: string } | null | undefined;

export interface ResolvedValue {
  /** The number fed to the model; NaN when the graph imputes it. */
  readonly value: number;
  /** True when the value was absent and imputed (in the graph or by the declared value). */
  readonly imputed: boolean;
  readonly issue?: FeatureIssue;
}

/**
 * Turns one raw value into the model's number for `spec`: unit conversion (UCUM), category names,
 * range checks, absence handling. A value that cannot be used is an error, never silently dropped.
 */
export function resolveFeature(spec: FeatureSpec, raw: RawFeatureValue): ResolvedValue {
  if (raw === null || raw === undefined || (typeof raw === 'number' && Number.isNaN(raw))) return absent(spec);
  const parsed = toNumber(spec, raw);
  if ('message' in parsed) return { value: Number.NaN, imputed: false, issue: { feature: spec.name, severity: 'error', code: 'value', message: parsed.message } };
  const value = parsed.value;
  if (spec.range && (value < spec.range[0] || value > spec.range[1])) {
    const unit = spec.unit ? ` ${spec.unit}` : '';
    return { value: Number.NaN, imputed: false, issue: { feature: spec.name, severity: 'error', code: 'value', message: `${spec.name}: ${round(value)}${unit} is outside the accepted range [${spec.range[0]}, ${spec.range[1]}]${unit}` } };
  }
  if (spec.type === 'category' && spec.values && !spec.values.includes(value)) {
    return { value: Number.NaN, imputed: false, issue: { feature: spec.name, severity: 'error', code: 'value', message: `${spec.name}: ${value} is not one of the categories ${describeCategories(spec)}` } };
  }
  return { value: spec.scaling ? (value - spec.scaling.mean) / spec.scaling.std : value, imputed: false };
}

/** A feature with no value: imputed as declared, or an error when required. */
export function absent(spec: FeatureSpec, why = 'no value was given'): ResolvedValue {
  if (spec.missing === 'required') {
    return { value: Number.NaN, imputed: false, issue: { feature: spec.name, severity: 'error', code: 'required', message: `${spec.name}: required, but ${why}` } };
  }
  const imputed = spec.missing === 'impute_in_graph' ? Number.NaN : spec.scaling ? (spec.missing.impute - spec.scaling.mean) / spec.scaling.std : spec.missing.impute;
  return { value: imputed, imputed: true, issue: { feature: spec.name, severity: 'information', code: 'not-found', message: `${spec.name}: ${why}; imputed ${spec.missing === 'impute_in_graph' ? 'by the model (training median)' : `as ${spec.missing.impute}`}` } };
}

function toNumber(spec: FeatureSpec, raw: Exclude<RawFeatureValue, null | undefined>): { value: number } | { message: string } {
  if (typeof raw === 'boolean') {
    if (spec.type === 'number') return { message: `${spec.name}: expected a number${spec.unit ? ` in ${spec.unit}` : ''}, got ${raw}` };
    return { value: raw ? 1 : 0 };
  }
  if (typeof raw === 'string') {
    const code = ownEntry(spec.encoding, raw);
    if (code !== undefined) return { value: code };
    return { message: `${spec.name}: '${raw.slice(0, 40)}' is not ${spec.type === 'category' ? `one of the categories ${describeCategories(spec)}` : 'a number'}` };
  }
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { message: `${spec.name}: expected a finite number` };
    return { value: raw };
  }
  if (typeof raw === 'object' && typeof raw.value === 'number' && typeof raw.unit === 'string') {
    if (!spec.unit) return { value: raw.value };
    const converted = convertUnit(raw.value, raw.unit, spec.unit, spec.molecular_weight);
    if (!converted.ok) return { message: `${spec.name}: ${raw.unit} cannot be converted to ${spec.unit} (${converted.reason})` };
    return { value: converted.value };
  }
  return { message: `${spec.name}: expected a number, a category name, or {"value": number, "unit": "UCUM unit"}` };
}

function describeCategories(spec: FeatureSpec): string {
  const names = Object.entries(spec.encoding ?? {}).map(([k, v]) => `${v} (${k})`);
  return names.length ? names.join(', ') : `[${(spec.values ?? []).join(', ')}]`;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
