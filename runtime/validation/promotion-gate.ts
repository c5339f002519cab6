import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { ClinferError } from '../errors/index.js';
import { REPORT_FORMAT, type ValidationReport } from './report.js';
import { publicKeyFrom, verifyDocument } from './report-sign.js';

/** The deployment policy's part that a promotion must satisfy (config `promotionPolicy`). */
export interface PromotionPolicy {
  readonly requireValidationReport: boolean;
  /** Ed25519 public keys (PEM files) of the sites whose reports count. */
  readonly trustedSiteKeys: readonly string[];
}

/** What a satisfied gate tells the audit log (free of patient data: ids and digests only). */
export interface GateResult {
  readonly report: { key_id: string; site: string; data_sha256: string; created: string } | undefined;
}

const required = (message: string) => new ClinferError('VALIDATION_REQUIRED', message);

/**
 * The promotion gate: a candidate is promoted to serving only with a local validation report signed by one
 * of the trusted site keys, for the candidate's bundle digest, whose verdict is `as_declared`. The report
 * travels in the promote request's body: the decision and its evidence arrive together and are audited
 * together, and no report left on disk by an earlier run can promote a bundle by accident.
 */
export class PromotionGate {
  readonly #policy: PromotionPolicy;
  readonly #keys: readonly KeyObject[];

  constructor(policy: PromotionPolicy) {
    this.#policy = policy;
    this.#keys = policy.trustedSiteKeys.map((file, i) => {
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (error) {
        throw new ClinferError('CONFIG_INVALID', `promotionPolicy.trustedSiteKeys.${i}: ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      try {
        return publicKeyFrom(pem, file);
      } catch (error) {
        throw new ClinferError('CONFIG_INVALID', `promotionPolicy.trustedSiteKeys.${i}: ${(error as Error).message}`);
      }
    });
  }

  /**
   * Checks `report` (the request body's, possibly absent) for a candidate whose bundle digest is `digest`.
   * Throws VALIDATION_REQUIRED saying what is missing. A report sent when none is required is still
   * checked: a report that does not hold is never silently ignored.
   */
  check(report: unknown, candidate: { name: string; version: string; digest: string | undefined }): GateResult {
    const what = `candidate '${candidate.name}' version ${candidate.version}`;
    if (report === undefined) {
      if (!this.#policy.requireValidationReport) return { report: undefined };
      throw required(`${what} needs a passing local validation report to be promoted (promotionPolicy.requireValidationReport): send {"report": <report.json of clinfer validate>} signed by a trusted site key, for bundle digest ${candidate.digest}`);
    }
    if (this.#keys.length === 0) throw required(`a validation report was sent but no site key is trusted to check it (promotionPolicy.trustedSiteKeys is empty)`);
    if (typeof report !== 'object' || report === null || Array.isArray(report) || (report as { format?: unknown }).format !== REPORT_FORMAT) {
      throw required(`'report' is not a ${REPORT_FORMAT} document (the report.json written by clinfer validate)`);
    }
    let keyId: string;
    try {
      keyId = verifyDocument(report as ValidationReport, this.#keys, "'report'");
    } catch (error) {
      throw required(`${(error as Error).message} (promotionPolicy.trustedSiteKeys): a signed report from a trusted site is needed`);
    }
    const r = report as ValidationReport;
    const reportDigest = typeof r.bundle?.digest === 'string' ? r.bundle.digest : 'none';
    if (!candidate.digest || reportDigest !== candidate.digest) {
      throw required(`'report' validates bundle digest ${reportDigest.slice(0, 16)}… (${String(r.bundle?.name)} ${String(r.bundle?.version)}), not the ${what} (digest ${candidate.digest ?? 'unknown'}): validate this candidate's bundle`);
    }
    const verdict = r.declared?.verdict;
    if (verdict !== 'as_declared') {
      const below = (r.declared?.comparisons ?? []).filter((c) => c.verdict === 'below_declared').map((c) => c.metric);
      throw required(`'report' (site ${String(r.site)}) does not pass: its verdict is ${String(verdict)}${below.length ? ` (below declared: ${below.join(', ')})` : ''}; promotion needs 'as_declared'`);
    }
    return { report: { key_id: keyId, site: String(r.site).slice(0, 64), data_sha256: String(r.data?.sha256), created: String(r.created) } };
  }
}
