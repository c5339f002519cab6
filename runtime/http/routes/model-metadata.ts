import { type Request } from 'express';
import { ClinferError } from '../../errors/index.js';
import { PSI_BANDS } from '../../monitoring/drift-monitor.js';
import { requireReady, type ModelVersion } from '../../repository/model-version.js';
import type { AppContext } from '../../app-context.js';
import { needs } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';

export function resolveVersion(ctx: AppContext, req: Request): ModelVersion {
  const { model, version } = req.params as { model: string; version?: string };
  return ctx.repository.resolve(model, version);
}


/** OIP model metadata and model readiness, with or without a version in the path. */
export function modelMetadataRoutes(ctx: AppContext, routes: RouteTable): void {
  const metadata = (req: Request, res: import('express').Response) => {
    const v = requireReady(resolveVersion(ctx, req));
    const c = v.config;
    const b = c.bundle;
    res.json({
      name: c.name,
      versions: ctx.repository.versionsOf(c.name),
      platform: c.platform,
      inputs: c.inputs,
      outputs: c.outputs,
      // clinfer extensions, ignored by plain OIP clients:
      version: c.version,
      state: v.state,
      max_batch_size: c.maxBatchSize,
      // Largest infer body (HTTP and gRPC) for this model; request_bytes_needed: a full batch in binary, when static.
      max_request_bytes: c.maxRequestBytes,
      ...(c.requestBytesNeeded !== undefined ? { request_bytes_needed: c.requestBytesNeeded } : {}),
      ...(c.warmup ? { warmup: c.warmup } : {}),
      ...(c.memory ? { memory: { model_file_bytes: c.memory.modelFileBytes, sessions: c.memory.sessions, rss_delta_at_load_bytes: c.memory.rssDeltaAtLoadBytes, estimated_bytes: c.memory.estimatedBytes } } : {}),
      execution_provider: c.provider,
      bundle_digest: c.digest,
      metadata_source: c.source,
      unsupported_outputs: c.unsupportedOutputs,
      ...(b ? { bundle: { description: b.description, task: b.task, labels: b.labels, intended_use: b.intended_use, provenance: b.provenance, preprocessing: b.preprocessing, postprocessing: b.postprocessing } } : {}),
    });
  };
  const ready = (req: Request, res: import('express').Response) => {
    const v = resolveVersion(ctx, req);
    const isReady = v.state === 'READY';
    res.status(isReady ? 200 : 400).json({ name: v.name, version: v.version, ready: isReady, state: v.state, ...(v.reason ? { reason: v.reason } : {}) });
  };
  const drift = (req: Request, res: import('express').Response) => {
    const v = requireReady(resolveVersion(ctx, req));
    if (!v.drift) throw new ClinferError('INVALID_REQUEST', `model '${v.name}' version ${v.version} carries no drift reference (bundle monitoring.drift_reference)`);
    const { observed, values } = v.drift.psi();
    res.json({
      name: v.name, version: v.version, window: 1000, observed,
      psi: values,
      bands: { stable: `< ${PSI_BANDS.moderate}`, moderate: `${PSI_BANDS.moderate} to ${PSI_BANDS.significant}`, significant: `> ${PSI_BANDS.significant}` },
      shifted: Object.entries(values).filter(([, p]) => p > PSI_BANDS.significant).map(([f]) => f),
      note: observed < 100 ? 'fewer than 100 rows observed: no index computed yet' : undefined,
    });
  };
  const infer = needs('infer');
  routes.get('/v1/models/:model/drift', { access: infer, summary: 'input drift (serving version)' }, drift);
  routes.get('/v1/models/:model/versions/:version/drift', { access: infer, summary: 'input drift (a version)' }, drift);
  routes.get('/v2/models/:model', { access: infer, summary: 'model metadata (serving version)' }, metadata);
  routes.get('/v2/models/:model/versions/:version', { access: infer, summary: 'model metadata (a version)' }, metadata);
  routes.get('/v2/models/:model/ready', { access: infer, summary: 'model readiness (serving version)' }, ready);
  routes.get('/v2/models/:model/versions/:version/ready', { access: infer, summary: 'model readiness (a version)' }, ready);
}
