import type { AuditLog } from '../audit/audit-log.js';
import { hasListedCode } from '../errors/index.js';
import type { Metrics } from '../metrics/metrics.js';

export interface RequestFacts {
  model: string;
  version: string;
  bundleDigest?: string | undefined;
  /** The client's request id: the audit log keeps only its HMAC. */
  requestId?: string | undefined;
  /** The model name as asked for, written to the audit log when the version could not be resolved. */
  requestedModel?: string | undefined;
  /** The input when `countRequest` was not given it (gRPC: its tensors' bytes in input order): the audit log keeps only its HMAC. */
  input?: Uint8Array | readonly Uint8Array[] | undefined;
  /** DICOM UIDs of the instance: the audit log keeps only their HMACs. */
  uids?: string[] | undefined;
  /** http (default), grpc, stowrs, cstore. */
  transport?: string | undefined;
}

export interface RequestContext {
  readonly metrics: Metrics;
  readonly audit: AuditLog | undefined;
}

/**
 * Runs one inference request and accounts for it: outcome (success or the error code) and end-to-end
 * duration in the metrics, labelled with the model version once `work` has resolved it (`_unknown`
 * before, so that a flood of unknown model names cannot grow the label set), and one audit line with the
 * caller, the bundle digest and the HMAC of the input (never the input). The audit line is written before
 * this resolves, so a caller that answers after `countRequest` answers only what is on record; when the
 * line cannot be written (auditFailurePolicy refuse) this rejects with AUDIT_UNAVAILABLE instead.
 */
export async function countRequest<T>(ctx: RequestContext, caller: string, input: Uint8Array | undefined, work: (note: (f: Partial<RequestFacts>) => void) => Promise<T>): Promise<T> {
  const started = performance.now();
  // Started now, so that a large input is digested beside the inference, off the event loop.
  const earlyDigest = ctx.audit && input !== undefined ? ctx.audit.digestInput(input) : undefined;
  const facts: RequestFacts = { model: '_unknown', version: '' };
  let outcome = 'success';
  try {
    return await work((f) => { Object.assign(facts, f); });
  } catch (error) {
    outcome = hasListedCode(error) ? error.code : 'INTERNAL';
    throw error;
  } finally {
    const labels = labelsOf(facts.model, facts.version);
    const seconds = (performance.now() - started) / 1000;
    ctx.metrics.requests.inc(outcome === 'success' ? labels.success : { ...labels.version, outcome });
    ctx.metrics.requestDuration.observe(labels.version, seconds);
    ctx.metrics.stats.request(facts.model, facts.version, outcome === 'success', seconds);
    if (ctx.audit) {
      const inputHmac = facts.input !== undefined ? await ctx.audit.digestInput(facts.input) : await earlyDigest;
      await ctx.audit.append({
        action: 'predict', caller, model: facts.model === '_unknown' ? facts.requestedModel ?? '_unknown' : facts.model, version: facts.version,
        bundle_digest: facts.bundleDigest, transport: facts.transport, outcome, latency_ms: Math.round(seconds * 1e6) / 1000,
        secret: { requestId: facts.requestId, inputHmac, uids: facts.uids },
      });
    }
  }
}

interface VersionLabels {
  readonly version: Readonly<{ model: string; version: string }>;
  readonly success: Readonly<{ model: string; version: string; outcome: string }>;
}

/**
 * The metric label objects of a version, made once: no allocation per request on the hot path. Bounded:
 * only resolved versions (and `_unknown`) get here, and the cache starts over past 1024 of them.
 */
const LABELS = new Map<string, VersionLabels>();
function labelsOf(model: string, version: string): VersionLabels {
  const key = `${model}\u0000${version}`;
  let labels = LABELS.get(key);
  if (!labels) {
    if (LABELS.size >= 1024) LABELS.clear();
    labels = { version: Object.freeze({ model, version }), success: Object.freeze({ model, version, outcome: 'success' }) };
    LABELS.set(key, labels);
  }
  return labels;
}
