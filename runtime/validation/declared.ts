import type { Bundle } from '../bundle/bundle-schema.js';
import type { Figure, GroupFigures } from './figures.js';

/** Metrics a bundle may declare under provenance.evaluation.metrics that the report can compare. */
const COMPARABLE = ['roc_auc', 'pr_auc', 'brier', 'sensitivity', 'specificity', 'ppv', 'npv', 'accuracy'] as const;
type Metric = (typeof COMPARABLE)[number];
/** Higher is better for all but the Brier score. */
const LOWER_IS_BETTER = new Set<Metric>(['brier']);
export const DEFAULT_TOLERANCE = 0.05;

export interface Comparison {
  readonly metric: Metric;
  readonly declared: number;
  readonly local: number | null;
  readonly ci: readonly [number, number] | null;
  readonly tolerance: number;
  /** as_declared: the local figure is no worse than declared - tolerance; below_declared: it is worse; not_assessable: suppressed. */
  readonly verdict: 'as_declared' | 'below_declared' | 'not_assessable';
  readonly declared_within_ci: boolean | null;
}

export interface DeclaredComparison {
  readonly source: string;
  readonly declared_n: number | null;
  readonly comparisons: Comparison[];
  readonly verdict: 'as_declared' | 'below_declared' | 'not_assessable';
  readonly statement: string;
}

/** The operating point the bundle declares (provenance.evaluation.operating_point.threshold, else postprocessing.threshold). */
export function operatingPoint(bundle: Bundle | undefined): { threshold: number; source: string } {
  const declared = (evaluation(bundle)?.operating_point as { threshold?: unknown } | undefined)?.threshold;
  if (typeof declared === 'number' && declared >= 0 && declared <= 1) return { threshold: declared, source: 'provenance.evaluation.operating_point.threshold' };
  const post = (bundle?.postprocessing as { threshold?: unknown } | undefined)?.threshold;
  if (typeof post === 'number') return { threshold: post, source: 'postprocessing.threshold' };
  return { threshold: 0.5, source: 'default (the bundle declares no operating point)' };
}

function evaluation(bundle: Bundle | undefined): Record<string, unknown> | undefined {
  const e = bundle?.provenance.evaluation;
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : undefined;
}

/**
 * Compares the local overall figures with provenance.evaluation.metrics. Tolerance: the site's
 * (--tolerance) when given, else the bundle's (provenance.evaluation.tolerance: a number or one per
 * metric), else 0.05.
 */
export function compareWithDeclared(bundle: Bundle | undefined, overall: GroupFigures, siteTolerance: number | undefined): DeclaredComparison {
  const e = evaluation(bundle);
  const metrics = (e?.metrics ?? {}) as Record<string, unknown>;
  const bundleTolerance = e?.tolerance;
  const toleranceOf = (m: Metric) => siteTolerance ?? (typeof bundleTolerance === 'number' ? bundleTolerance : typeof (bundleTolerance as Record<string, unknown> | undefined)?.[m] === 'number' ? ((bundleTolerance as Record<string, number>)[m]!) : DEFAULT_TOLERANCE);
  const local: Record<Metric, Figure> = {
    roc_auc: overall.roc_auc, pr_auc: overall.pr_auc, brier: overall.brier, sensitivity: overall.at_threshold.sensitivity,
    specificity: overall.at_threshold.specificity, ppv: overall.at_threshold.ppv, npv: overall.at_threshold.npv, accuracy: overall.at_threshold.accuracy,
  };
  const comparisons: Comparison[] = COMPARABLE.filter((m) => typeof metrics[m] === 'number').map((metric) => {
    const declared = metrics[metric] as number;
    const figure = local[metric];
    const tolerance = toleranceOf(metric);
    if (figure.value === null) return { metric, declared, local: null, ci: null, tolerance, verdict: 'not_assessable', declared_within_ci: null };
    const worse = LOWER_IS_BETTER.has(metric) ? figure.value > declared + tolerance : figure.value < declared - tolerance;
    const ci = figure.ci ?? null;
    return { metric, declared, local: figure.value, ci, tolerance, verdict: worse ? 'below_declared' : 'as_declared', declared_within_ci: ci ? declared >= ci[0] && declared <= ci[1] : null };
  });
  const assessed = comparisons.filter((c) => c.verdict !== 'not_assessable');
  const below = assessed.filter((c) => c.verdict === 'below_declared');
  const verdict = assessed.length === 0 ? 'not_assessable' : below.length ? 'below_declared' : 'as_declared';
  const fmt = (c: Comparison) => `${c.metric} ${c.local!.toFixed(3)} (declared ${c.declared.toFixed(3)}, tolerance ${c.tolerance})`;
  const statement =
    verdict === 'not_assessable'
      ? comparisons.length === 0
        ? 'The bundle declares no evaluation metrics to compare with.'
        : 'Not assessable here: the figures the bundle declares are suppressed (too few patients) at this site.'
      : verdict === 'as_declared'
        ? `The model performs as declared here: ${assessed.map(fmt).join('; ')}.`
        : `The model does NOT perform as declared here: ${below.map(fmt).join('; ')}.`;
  const n = e?.n;
  return { source: 'provenance.evaluation', declared_n: typeof n === 'number' ? n : null, comparisons, verdict, statement };
}

/** The lowest ROC AUC that still counts as declared (declared roc_auc minus its tolerance); undefined when none is declared. */
export function declaredAucFloor(bundle: Bundle | undefined): number | undefined {
  const e = evaluation(bundle);
  const declared = (e?.metrics as Record<string, unknown> | undefined)?.roc_auc;
  if (typeof declared !== 'number') return undefined;
  const t = e?.tolerance;
  const tolerance = typeof t === 'number' ? t : typeof (t as Record<string, unknown> | undefined)?.roc_auc === 'number' ? (t as Record<string, number>).roc_auc! : DEFAULT_TOLERANCE;
  return declared - tolerance;
}
