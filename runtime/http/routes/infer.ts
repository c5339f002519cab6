import type { Request, Response } from 'express';
import { inferBodyParser } from '../infer-body.js';
import { refuseOversizedJsonOutputs } from '../../protocol/json-output-size.js';
import { countRequest } from '../../metrics/count-request.js';
import { outputSummary } from '../../monitoring/drift-monitor.js';
import { callerOf } from '../caller.js';
import { applyClassification } from '../../protocol/classification.js';
import { encodeInferResponse } from '../../protocol/infer-response.js';
import { PRIORITY_HEADER, readSchedulingParameters, TIMEOUT_HEADER } from '../../protocol/scheduling-parameters.js';
import { readSequenceParameters } from '../../protocol/sequence-parameters.js';
import type { AppContext } from '../../app-context.js';
import { requireReady } from '../../repository/model-version.js';
import { resolveVersion } from './model-metadata.js';
import { needs } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';

/** POST /v2/models/{m}[/versions/{v}]/infer: JSON or binary tensor data, through the model's scheduler. */
export function inferRoutes(ctx: AppContext, routes: RouteTable): void {
  const body = inferBodyParser(ctx);

  const infer = async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await countRequest(ctx, callerOf(res), raw, async (note) => {
    note({ requestedModel: String(req.params.model) });
    const v = requireReady(resolveVersion(ctx, req));
    note({ model: v.name, version: v.version, bundleDigest: v.config.digest });
    const request = await ctx.inferRequests.parse(raw, req.get('inference-header-content-length'), v.config);
    note({ requestId: request.id });
    // A JSON output too large to encode is refused before the model spends its time on it.
    refuseOversizedJsonOutputs(v.config, request.outputs, request.inputs[0]?.shape[0] ?? 1, ctx.config.maxJsonResponseBytes);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const scheduling = readSchedulingParameters(request.parameters, { priority: req.get(PRIORITY_HEADER), timeout: req.get(TIMEOUT_HEADER) });
    // Drift: inputs are observed before their buffers travel to a worker (feature columns for tabular
    // models, sampled intensities for the others).
    const monitored = v.drift ? (v.config.tabular ? request.inputs.find((t) => t.name === v.config.tabular!.input) : request.inputs[0]) : undefined;
    const monitoredRows = monitored && v.config.maxBatchSize > 1 ? monitored.shape[0] ?? 1 : 1;
    if (monitored && !Array.isArray(monitored.data)) {
      if (v.config.tabular) v.drift!.observeInputs(monitored.data as Float32Array, monitoredRows);
      else v.drift!.observeIntensity(monitored.data as Float32Array);
    }
    const sequence = readSequenceParameters(request.parameters, v.config);
    const result = await v.scheduler.enqueue({ inputs: request.inputs, fetches: request.outputs.map((o) => o.name), signal: abort.signal, ...scheduling, ...(sequence ? { sequence } : {}) });
    const post = v.config.bundle?.postprocessing as { kind?: string; output?: string } | undefined;
    const observed = monitored && result.outputs.find((o) => o.name === (post?.output ?? v.config.outputs[0]!.name));
    if (observed && !Array.isArray(observed.data)) v.drift!.observeOutputs(outputSummary(post?.kind, observed.data as Float32Array, monitoredRows));
    const outputs = applyClassification(result.outputs, request.outputs, v.config.bundle?.labels.map((l) => l.id) ?? [], v.config.maxBatchSize > 0);
    return encodeInferResponse(v.config, request.id, outputs, request.outputs, ctx.config.maxJsonResponseBytes);
    });
    // Answered only now: countRequest resolves once the audit entry is written (or refuses the request).
    res.status(200).type(answer.contentType);
    if (answer.headerLength !== undefined) res.set('Inference-Header-Content-Length', String(answer.headerLength));
    res.end(answer.body);
  };
  routes.post('/v2/models/:model/infer', { access: needs('infer'), summary: 'OIP inference (serving version)' }, body, infer);
  routes.post('/v2/models/:model/versions/:version/infer', { access: needs('infer'), summary: 'OIP inference (a version)' }, body, infer);
}
