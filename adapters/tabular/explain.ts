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
