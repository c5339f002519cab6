import { CodedError } from '../coded-error.js';
import { absent, resolveFeature, type FeatureIssue, type RawFeatureValue, type ResolvedValue } from './feature-values.js';
import type { TabularSpec } from './tabular-spec.js';

export interface RecordRow {
  /** One value per feature, in column order. */
  readonly values: number[];
  readonly imputed: boolean[];
  readonly issues: FeatureIssue[];
}

/** Problems that make a request unusable, each naming the record and the feature (INVALID_INPUT). */
export class RecordsError extends CodedError<'INVALID_INPUT'> {
  constructor(readonly problems: string[]) {
    super('INVALID_INPUT', problems.join('; '));
    this.name = 'RecordsError';
  }
}

/** Reads `{"records": [...]}` into rows; any error in any record refuses the whole request, naming each. */
export function recordsToRows(spec: TabularSpec, body: unknown): RecordRow[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { records?: unknown }).records)) {
    throw new RecordsError(["the body must be a JSON object with a 'records' array"]);
  }
  const records = (body as { records: unknown[] }).records;
  if (records.length === 0) throw new RecordsError(["'records' is empty"]);
  const known = new Set(spec.features.map((f) => f.name));
  const problems: string[] = [];
  const rows = records.map((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      problems.push(`records[${i}]: must be an object of feature values`);
      return undefined;
    }
    const unknown = Object.keys(record).filter((k) => !known.has(k));
    for (const name of unknown) problems.push(`records[${i}]: unknown feature '${name.slice(0, 40)}' (the model's features are ${[...known].join(', ')})`);
    const row = rowFrom(spec, (name) => ({ raw: (record as Record<string, RawFeatureValue>)[name] }));
    for (const issue of row.issues) if (issue.severity === 'error') problems.push(`records[${i}].${issue.message}`);
    return row;
  });
  if (problems.length) throw new RecordsError(problems);
  return rows as RecordRow[];
}

/** Resolves every feature through `lookup` (which may have already found a problem for it). */
export function rowFrom(spec: TabularSpec, lookup: (name: string) => { raw: RawFeatureValue; absentBecause?: string; issue?: FeatureIssue }): RecordRow {
  const values: number[] = [];
  const imputed: boolean[] = [];
  const issues: FeatureIssue[] = [];
  for (const feature of spec.features) {
    const found = lookup(feature.name);
    if (found.issue) issues.push(found.issue);
    const resolved: ResolvedValue = found.raw === undefined || found.raw === null ? absent(feature, found.absentBecause) : resolveFeature(feature, found.raw);
    if (resolved.issue) issues.push(resolved.issue);
    values.push(resolved.value);
    imputed.push(resolved.imputed);
  }
  return { values, imputed, issues };
}
