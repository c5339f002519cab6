import { createHash } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import { isClinferError } from '../errors/index.js';
import type { Metrics } from './metrics.js';

export interface RequestFacts {
  model: string;
  version: string;
  bundleDigest?: string | undefined;
  requestId?: string | undefined;
}

export interface RequestContext {
  readonly metrics: Metrics;
  readonly audit: AuditLog | undefined;
}

/**
 * Runs one inference request and accounts for it: outcome (success or the error code) and end-to-end
 * duration in the metrics, labelled with the model version once `work` has resolved it (`_unknown`
 * before, so that a flood of unknown model names cannot grow the label set), and one audit line with the
 * caller, the bundle digest and the digest of the input (never the input).
 */
export async function countRequest<T>(ctx: RequestContext, caller: string, input: Uint8Array | undefined, work: (note: (f: Partial<RequestFacts>) => void) => Promise<T>): Promise<T> {
  const started = performance.now();
  let facts: RequestFacts = { model: '_unknown', version: '' };
  let outcome = 'success';
  try {
    return await work((f) => { facts = { ...facts, ...f }; });
  } catch (error) {
    outcome = isClinferError(error) ? error.code : 'INTERNAL';
    throw error;
  } finally {
    const labels = { model: facts.model, version: facts.version };
    const seconds = (performance.now() - started) / 1000;
    ctx.metrics.requests.inc({ ...labels, outcome });
    ctx.metrics.requestDuration.observe(labels, seconds);
    ctx.audit?.append({
      action: 'predict', caller, ...labels, bundle_digest: facts.bundleDigest, request_id: facts.requestId,
      input_digest: input ? createHash('sha256').update(input).digest('hex') : undefined,
      outcome, latency_ms: Math.round(seconds * 1e6) / 1000,
    });
  }
}
