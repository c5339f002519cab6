import { rowFrom, type RecordRow } from '../../adapters/tabular/records.js';
import { resolveFeature, type RawFeatureValue } from '../../adapters/tabular/feature-values.js';
import { shortfall } from '../../adapters/tabular/least-observed.js';
import type { FeatureSpec } from '../../adapters/tabular/tabular-spec.js';
import { DEFAULT_PRIORITY } from '../model/model-config.js';
import { predictRows } from '../predict/tabular-predictor.js';
import { outcomeOf, type Cell, type Dataset } from './dataset.js';
import type { ServedModel } from './served-model.js';

/** Per feature, counts over the rows that have an outcome. */
export interface FeatureQuality {
  readonly name: string;
  readonly unit: string | undefined;
  missing: number;
  imputed: number;
  outOfRange: number;
  invalid: number;
  unitsConverted: number;
}

export interface ScoredDataset {
  readonly rows: number;
  readonly noOutcome: number;
  /** Rows the server would refuse: a value it cannot use (out of range, unknown category) ... */
  readonly refusedInvalid: number;
  /** ... or too little observed data (the bundle's least_observed). */
  readonly refusedInsufficient: number;
  readonly features: FeatureQuality[];
  /** The scored rows: the model's probability, the observed outcome, and the source row's index. */
  readonly scores: number[];
  readonly labels: number[];
  readonly sourceRows: number[];
}

export interface ScoreOptions {
  readonly label: string;
  /** Values a site's data uses for "not recorded", per feature (e.g. chol = 0 in the UCI files). */
  readonly missingCodes: ReadonlyMap<string, number>;
  readonly batchSize: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Turns each row into the model's features with the server's own code (units, categories, ranges,
 * imputation, least observed data), refuses what the server would refuse (counted, never scored), and
 * runs the rest through the same prediction code as POST /v1/models/{m}/predict.
 */
export async function scoreDataset(model: ServedModel, data: Dataset, options: ScoreOptions): Promise<ScoredDataset> {
  const spec = model.config.tabular;
  const features: FeatureQuality[] = spec.features.map((f) => ({ name: f.name, unit: f.unit, missing: 0, imputed: 0, outOfRange: 0, invalid: 0, unitsConverted: 0 }));
  let noOutcome = 0, refusedInvalid = 0, refusedInsufficient = 0;
  const accepted: Array<{ row: RecordRow; label: number; index: number }> = [];
  data.rows.forEach((record, index) => {
    const label = outcomeOf(record[options.label] ?? null, options.label, index);
    if (label === undefined) {
      noOutcome++;
      return;
    }
    const raw = (f: FeatureSpec): RawFeatureValue => {
      const value = (record[f.name] ?? null) as Cell;
      return options.missingCodes.get(f.name) === value ? null : (value as RawFeatureValue);
    };
    const row = rowFrom(spec, (name) => ({ raw: raw(spec.features.find((f) => f.name === name)!) }));
    spec.features.forEach((f, k) => {
      const q = features[k]!;
      const value = raw(f);
      if (value === null || value === undefined) q.missing++;
      if (row.imputed[k]) q.imputed++;
      if (typeof value === 'object' && value !== null && value.unit !== f.unit) q.unitsConverted++;
      const issue = row.issues.find((i) => i.feature === f.name && i.severity === 'error');
      if (issue && value !== null && value !== undefined) {
        // Out of range when the same value passes without the range: the rest is an unusable value.
        const withoutRange = resolveFeature({ ...f, range: undefined }, value);
        if (withoutRange.issue) q.invalid++;
        else q.outOfRange++;
      }
    });
    if (row.issues.some((i) => i.severity === 'error')) refusedInvalid++;
    else if (shortfall(spec, row.imputed)) refusedInsufficient++;
    else accepted.push({ row, label, index });
  });
  const scores: number[] = [];
  for (let start = 0; start < accepted.length; start += options.batchSize) {
    const batch = accepted.slice(start, start + options.batchSize);
    const predictions = await predictRows(model.config, model.scheduler, batch.map((a) => a.row), { language: 'en', priority: DEFAULT_PRIORITY, timeoutMs: undefined });
    for (const p of predictions) scores.push(p.value);
    options.onProgress?.(Math.min(accepted.length, start + batch.length), accepted.length);
  }
  return {
    rows: data.rows.length, noOutcome, refusedInvalid, refusedInsufficient, features, scores,
    labels: accepted.map((a) => a.label), sourceRows: accepted.map((a) => a.index),
  };
}
