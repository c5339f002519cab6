import { basename } from 'node:path';
import type { TabularSpec } from '../../adapters/tabular/tabular-spec.js';
import { compareWithDeclared, operatingPoint, type DeclaredComparison } from './declared.js';
import type { Dataset } from './dataset.js';
import { groupFigures, type GroupFigures } from './figures.js';
import type { ScoredDataset } from './score-dataset.js';
import type { ServedModel } from './served-model.js';
import { partitionLevels, SMALL_LEVELS, suppressAcrossLevels } from './subgroups.js';
import { cell } from './suppression.js';

export const REPORT_FORMAT = 'clinfer-validation-report/1';

export interface Subgroup {
  readonly variable: string;
  readonly level: string;
  readonly figures: GroupFigures;
}

export interface ValidationReport {
  readonly format: typeof REPORT_FORMAT;
  readonly created: string;
  readonly site: string;
  readonly clinfer_version: string;
  readonly bundle: { name: string; version: string; digest: string; model_sha256: string };
  readonly data: {
    file: string; sha256: string; label: string; rows: number | null; scored: number | null;
    no_outcome: number | null; refused_invalid: number | null; refused_insufficient_data: number | null;
    missing_codes: Record<string, number>;
  };
  readonly privacy: { min_cell: number; rule: string };
  readonly operating_point: { threshold: number; source: string };
  readonly overall: GroupFigures;
  readonly subgroups: Subgroup[];
  readonly data_quality: Array<{ feature: string; unit: string | null; missing_share: number | null; imputed_share: number | null; out_of_range: number | null; invalid: number | null; units_converted: number | null }>;
  readonly declared: DeclaredComparison;
  signature?: { algorithm: 'Ed25519'; key_id: string; value: string };
}

export interface ReportOptions {
  readonly site: string;
  readonly label: string;
  readonly groups: readonly string[];
  readonly minCell: number;
  readonly tolerance: number | undefined;
  readonly missingCodes: ReadonlyMap<string, number>;
  readonly dataFile: string;
  readonly version: string;
  readonly now: Date;
}

export const AGE_BANDS: ReadonlyArray<readonly [string, number, number]> = [['<45', -Infinity, 45], ['45-54', 45, 55], ['55-64', 55, 65], ['>=65', 65, Infinity]];

/** Builds the (unsigned) report: aggregates only, every cell under `minCell` suppressed. */
export function buildReport(model: ServedModel, data: Dataset, scored: ScoredDataset, options: ReportOptions): ValidationReport {
  const k = options.minCell;
  const bundle = model.config.bundle;
  const op = operatingPoint(bundle);
  const overall = groupFigures(scored.scores, scored.labels, op.threshold, k);
  const subgroups: Subgroup[] = [];
  const by = (variable: string, levelOf: (row: number) => string | undefined, order?: readonly string[]) => {
    const members = new Map<string, number[]>();
    scored.sourceRows.forEach((row, i) => {
      const level = levelOf(row) ?? '(missing)';
      const list = members.get(level);
      if (list) list.push(i);
      else members.set(level, [i]);
    });
    const parts = partitionLevels(members, scored.labels, k);
    const rank = (level: string) => (level.endsWith(SMALL_LEVELS) ? Infinity : order ? order.indexOf(level) : 0);
    const levels = [...parts.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
    const figures = suppressAcrossLevels(levels.map((level) => {
      const idx = parts.get(level)!;
      return groupFigures(idx.map((i) => scored.scores[i]!), idx.map((i) => scored.labels[i]!), op.threshold, k);
    }));
    levels.forEach((level, j) => subgroups.push({ variable, level, figures: figures[j]! }));
  };
  const spec = model.config.tabular;
  const sex = spec.features.find((f) => f.fhir?.source === 'patient_gender' || f.name === 'sex');
  if (sex) by('sex', (row) => categoryName(sex, data.rows[row]![sex.name]));
  const age = spec.features.find((f) => f.fhir?.source === 'patient_age' || f.name === 'age');
  if (age) {
    by('age', (row) => {
      const v = data.rows[row]![age.name];
      return typeof v === 'number' ? AGE_BANDS.find(([, lo, hi]) => v >= lo && v < hi)![0] : undefined;
    }, [...AGE_BANDS.map((b) => b[0]), '(missing)']);
  }
  for (const column of options.groups) by(column, (row) => {
    const v = data.rows[row]![column];
    return v === null || v === undefined ? undefined : String(typeof v === 'object' ? v.value : v);
  });
  const scoredRows = scored.scores.length;
  // Shares over the rows with an outcome (scored or refused), as the counts are.
  const withOutcome = scored.rows - scored.noOutcome;
  const share = (count: number) => (count === 0 || count >= k ? Math.round((count / withOutcome) * 1e4) / 1e4 : null);
  return {
    format: REPORT_FORMAT,
    created: options.now.toISOString(),
    site: options.site,
    clinfer_version: options.version,
    bundle: { name: model.config.name, version: model.config.version, digest: model.digest, model_sha256: bundle?.model.sha256 ?? '' },
    data: {
      file: basename(options.dataFile), sha256: data.sha256, label: options.label,
      // The total is hidden when a count of left-out rows is: total - scored - the others would give it.
      rows: [scored.noOutcome, scored.refusedInvalid, scored.refusedInsufficient].some((c) => c > 0 && c < k) ? null : cell(scored.rows, k),
      scored: cell(scoredRows, k), no_outcome: cell(scored.noOutcome, k, true),
      refused_invalid: cell(scored.refusedInvalid, k, true), refused_insufficient_data: cell(scored.refusedInsufficient, k, true),
      missing_codes: Object.fromEntries(options.missingCodes),
    },
    privacy: { min_cell: k, rule: `aggregates only; any count of fewer than ${k} patients, and any figure it could be worked out from, is suppressed (null)` },
    operating_point: op,
    overall,
    subgroups,
    data_quality: scored.features.map((f) => ({
      feature: f.name, unit: f.unit ?? null, missing_share: share(f.missing), imputed_share: share(f.imputed),
      out_of_range: cell(f.outOfRange, k, true), invalid: cell(f.invalid, k, true), units_converted: cell(f.unitsConverted, k, true),
    })),
    declared: compareWithDeclared(bundle, overall, options.tolerance),
  };
}

/** A category's English label (value_labels), else its encoding name, else the value itself. */
function categoryName(feature: TabularSpec['features'][number], value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  const code = String(value);
  const label = feature.value_labels?.[code]?.en;
  if (label) return label;
  const name = Object.entries(feature.encoding ?? {}).find(([, v]) => String(v) === code)?.[0];
  return name ?? code;
}
