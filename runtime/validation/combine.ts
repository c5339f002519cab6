import type { KeyObject } from 'node:crypto';
import { ClinferError } from '../errors/index.js';
import { derSimonianLaird, expit } from './meta-analysis.js';
import { REPORT_FORMAT, type ValidationReport } from './report.js';
import { verifyDocument } from './report-sign.js';

export const NETWORK_FORMAT = 'clinfer-network-report/1';

export interface SiteRow {
  readonly site: string;
  readonly key_id: string;
  readonly data_sha256: string;
  readonly n: number | null;
  readonly roc_auc: { value: number | null; ci: readonly [number, number] | null };
  readonly calibration_slope: { value: number | null; ci: readonly [number, number] | null };
  readonly verdict: ValidationReport['declared']['verdict'];
  readonly statement: string;
  /** Pooled: the site's AUC enters the meta-analysis; otherwise why not. */
  readonly pooled: boolean;
  readonly not_pooled_because?: string;
}

export interface NetworkReport {
  readonly format: typeof NETWORK_FORMAT;
  readonly created: string;
  readonly clinfer_version: string;
  readonly bundle: ValidationReport['bundle'];
  readonly declared_roc_auc: number | null;
  readonly sites: SiteRow[];
  /** Random-effects (DerSimonian-Laird) pooling of logit AUC, back-transformed. */
  readonly pooled_roc_auc: { value: number; ci: readonly [number, number]; sites: number; tau2: number; i2: number; q: number; df: number; method: string } | null;
  /** Sites whose figures fall below the declared performance (their own report's verdict). */
  readonly outside_declared: string[];
  signature?: { algorithm: 'Ed25519'; key_id: string; value: string };
}

const invalid = (message: string) => new ClinferError('REPORT_INVALID', message);

/**
 * Combines the sites' signed reports for one bundle digest. Every report must verify under one of
 * `trusted` (the sites' public keys) and name the same bundle digest; otherwise nothing is combined.
 */
export function combineReports(reports: ReadonlyArray<{ file: string; report: unknown }>, trusted: readonly KeyObject[], options: { version: string; now: Date }): NetworkReport {
  if (reports.length === 0) throw invalid('no report to combine');
  const checked = reports.map(({ file, report }) => {
    if (typeof report !== 'object' || report === null || (report as { format?: unknown }).format !== REPORT_FORMAT) throw invalid(`${file}: is not a ${REPORT_FORMAT} document`);
    const keyId = verifyDocument(report as ValidationReport, trusted, file);
    return { file, report: report as ValidationReport, keyId };
  });
  const seen = new Map<string, string>();
  for (const { file, report } of checked) {
    const earlier = seen.get(report.data?.sha256);
    if (earlier) throw invalid(`${file}: the same data set (sha256 ${String(report.data.sha256).slice(0, 16)}…) as ${earlier}: a site would count twice`);
    seen.set(report.data?.sha256, file);
  }
  const first = checked[0]!.report.bundle;
  for (const { file, report } of checked) {
    if (report.bundle.digest !== first.digest) {
      throw invalid(`${file}: validates bundle digest ${report.bundle.digest.slice(0, 16)}… (${report.bundle.name} ${report.bundle.version}); ${checked[0]!.file} validates ${first.digest.slice(0, 16)}… (${first.name} ${first.version}): a network report combines one bundle`);
    }
  }
  const sites: SiteRow[] = checked.map(({ report, keyId }) => {
    const auc = report.overall.roc_auc;
    const usable = auc.value !== null && typeof auc.logit === 'number' && typeof auc.logit_variance === 'number' && auc.logit_variance > 0;
    return {
      site: report.site, key_id: keyId, data_sha256: report.data.sha256, n: report.overall.n,
      roc_auc: { value: auc.value, ci: auc.ci ?? null },
      calibration_slope: { value: report.overall.calibration_slope.value, ci: report.overall.calibration_slope.ci ?? null },
      verdict: report.declared.verdict, statement: report.declared.statement, pooled: usable,
      ...(usable ? {} : { not_pooled_because: auc.suppressed ?? 'no AUC' }),
    };
  });
  const studies = checked.filter((_, i) => sites[i]!.pooled).map((c) => ({ estimate: c.report.overall.roc_auc.logit!, variance: c.report.overall.roc_auc.logit_variance! }));
  const pooled = studies.length ? derSimonianLaird(studies) : undefined;
  const declared = checked[0]!.report.declared.comparisons.find((c) => c.metric === 'roc_auc')?.declared ?? null;
  const r = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    format: NETWORK_FORMAT,
    created: options.now.toISOString(),
    clinfer_version: options.version,
    bundle: first,
    declared_roc_auc: declared,
    sites,
    pooled_roc_auc: pooled
      ? { value: r(expit(pooled.pooled)), ci: [r(expit(pooled.ci[0])), r(expit(pooled.ci[1]))], sites: studies.length, tau2: r(pooled.tau2), i2: r(pooled.i2), q: r(pooled.q), df: pooled.df, method: 'DerSimonian-Laird random effects on logit AUC (DeLong variances, delta method)' }
      : null,
    outside_declared: sites.filter((s) => s.verdict === 'below_declared').map((s) => s.site),
  };
}
