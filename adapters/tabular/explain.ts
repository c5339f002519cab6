import type { TabularSpec } from './tabular-spec.js';

/** The linear part of a logistic (or linear) model, as the bundle's postprocessing declares it. */
export interface LinearModel {
  intercept: number;
  /** Per feature, on the standardised scale: z = (x - mean) / scale. */
  coefficients: Record<string, number>;
  means: Record<string, number>;
  scales: Record<string, number>;
  /** Values the graph imputes for missing features. */
  medians?: Record<string, number>;
}

export interface Contribution {
  feature: string;
  /** The value the model used (after imputation), in the feature's unit. */
  value: number;
  imputed: boolean;
  /** Exact additive effect on the log-odds (or the output of a linear model) relative to the training mean. */
  contribution: number;
}

/**
 * Exact per-feature contributions of a linear or logistic model: coefficient x standardised value. They
 * add up, with the intercept, to the model's log-odds, so nothing is approximated.
 */
export function linearContributions(spec: TabularSpec, model: LinearModel, values: readonly number[], imputed: readonly boolean[]): Contribution[] {
  return spec.features.map((f, i) => {
    const raw = values[i]!;
    const value = Number.isNaN(raw) ? (model.medians?.[f.name] ?? model.means[f.name] ?? 0) : raw;
    const contribution = (model.coefficients[f.name] ?? 0) * ((value - (model.means[f.name] ?? 0)) / (model.scales[f.name] ?? 1));
    return { feature: f.name, value, imputed: imputed[i]!, contribution };
  });
}

export function topContributions(all: Contribution[], n = 5): Contribution[] {
  return [...all].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, n);
}

export function readLinearModel(postprocessing: Record<string, unknown>): LinearModel | undefined {
  const lm = postprocessing.linear_model as LinearModel | undefined;
  if (!lm || typeof lm.intercept !== 'number' || typeof lm.coefficients !== 'object') return undefined;
  return lm;
}

/** The linear model's output (log-odds for a logistic model) for one row of model inputs (NaN: the median). */
export function linearLogit(spec: TabularSpec, model: LinearModel, values: readonly number[]): number {
  return linearContributions(spec, model, values, values.map(() => false)).reduce((sum, c) => sum + c.contribution, model.intercept);
}

/**
 * Rows at which a bundle's linear model is compared with the graph: the training mean, then each feature
 * one standard deviation above it (row k + 1 probes feature k), then every graph-imputed feature missing.
 */
export function linearProbeRows(spec: TabularSpec, model: LinearModel): number[][] {
  const base = spec.features.map((f) => model.means[f.name] ?? 0);
  const rows = [base, ...spec.features.map((f, k) => base.map((v, i) => (i === k ? v + (model.scales[f.name] ?? 1) : v)))];
  if (spec.features.some((f) => f.missing === 'impute_in_graph')) rows.push(spec.features.map((f, i) => (f.missing === 'impute_in_graph' ? Number.NaN : base[i]!)));
  return rows;
}
