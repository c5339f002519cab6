import type { FeatureIssue } from '../../tabular/feature-values.js';
import { aggregate, coveredDays, DAY_MS } from './aggregations.js';
import { SAME_UNIT_AGGREGATIONS, type HistorySource, type ValueSets } from './history-spec.js';
import { readHistory, type HistoryResourceRef, type SourceIssue } from './sources.js';

export interface HistoryFeature {
  /** The feature's value, or undefined with the reason it is absent. */
  readonly value: number | undefined;
  readonly absentBecause?: string;
  /** References of the resources the value came from. */
  readonly used: readonly string[];
  /** Observation.status of each Observation used. */
  readonly statuses: readonly string[];
  /** Problems with the resources read, located in the request Bundle. */
  readonly issues: (FeatureIssue & { readonly expression: string })[];
}

export interface HistoryFeatureSpec {
  readonly name: string;
  readonly unit?: string | undefined;
  readonly molecular_weight?: number | undefined;
  readonly encoding?: Record<string, number> | undefined;
}

/**
 * One feature from a patient's history: the resources of `source.resource` (the patient's, from the
 * request), in the window `[at - window_days, at]`, aggregated as the source says.
 */
export function historyFeature(feature: HistoryFeatureSpec, source: HistorySource, sets: ValueSets, refs: readonly HistoryResourceRef[], at: Date): HistoryFeature {
  const now = at.getTime();
  const from = now - source.window_days * DAY_MS;
  const codes = [...(source.codes ?? []), ...(source.value_set ? sets[source.value_set] ?? [] : [])];
  // The feature's unit is the values' unit only when the aggregate keeps it (a latest value, a mean: not a slope, a count).
  const unit = source.unit ?? (!source.transform && SAME_UNIT_AGGREGATIONS.includes(source.aggregate) ? feature.unit : undefined);
  const read = readHistory(source, refs, now, { codes, unit, molecularWeight: feature.molecular_weight, encoding: feature.encoding });
  const { points } = read;
  const issues = read.issues.map((i) => locatedIssue(feature.name, i));
  const what = describe(source);
  if (source.aggregate === 'exposure_days') {
    const covered = coveredDays(points.map((p) => ({ start: p.time, ...(p.end !== undefined ? { end: p.end } : {}), reference: p.reference })), from, now);
    return { value: covered.value, used: unique(covered.used.map((i) => i.reference!)), statuses: [], issues };
  }
  // A period that started before the window still counts when it reaches into it (a stay admitted earlier).
  const inWindow = points.filter((p) => p.time >= from || (p.end !== undefined && p.end >= from && p.end !== p.time));
  const result = aggregate(source.aggregate, inWindow.map((p) => ({ time: p.time, value: p.value, reference: p.reference })), { at: now, minPoints: source.min_points, ...(source.above !== undefined ? { above: source.above } : {}) });
  if ('absent' in result) {
    return { value: undefined, absentBecause: `${result.absent}: ${what} in the ${source.window_days} days before ${at.toISOString().slice(0, 10)}`, used: [], statuses: [], issues };
  }
  const used = new Set(result.used.map((p) => p.reference!));
  const statuses = source.resource === 'Observation' ? inWindow.filter((p) => used.has(p.reference)).map((p) => p.status) : [];
  return { value: result.value, used: [...used], statuses, issues };
}

function locatedIssue(feature: string, i: SourceIssue): FeatureIssue & { expression: string } {
  return i.information
    ? { feature, severity: 'information', code: 'informational', message: `${feature}: ${i.message}`, expression: i.expression }
    : { feature, severity: 'warning', code: 'value', message: `${feature}: ${i.message}`, expression: i.expression };
}

function describe(s: HistorySource): string {
  const codes = [...(s.codes ?? []).map((c) => `${c.system}|${c.code}`), ...(s.value_set ? [`value set ${s.value_set}`] : [])].join(', ');
  if (s.resource === 'QuestionnaireResponse') return `QuestionnaireResponse item '${s.link_id}'${s.questionnaire ? ` of ${s.questionnaire}` : ''}`;
  if (s.resource === 'Encounter') return `Encounter${s.encounter_class ? ` of class ${s.encounter_class.join('/')}` : ''}${codes ? ` ${codes}` : ''}`;
  return `${s.resource} ${codes}`;
}

const unique = (refs: readonly string[]) => [...new Set(refs)];
