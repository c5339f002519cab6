import express, { Router, type Request, type Response } from 'express';
import { countRequest } from '../../metrics/count-request.js';
import { callerOf } from '../caller.js';
import { encodeInferResponse } from '../../protocol/infer-response.js';
import { parseInferRequest } from '../../protocol/infer-request.js';
import { PRIORITY_HEADER, readSchedulingParameters, TIMEOUT_HEADER } from '../../protocol/scheduling-parameters.js';
import type { AppContext } from '../app-context.js';
import { requireReady, resolveVersion } from './model-metadata.js';

/** POST /v2/models/{m}[/versions/{v}]/infer: JSON or binary tensor data, through the model's scheduler. */
export function inferRoutes(ctx: AppContext): Router {
  const router = Router();
  const body = express.raw({ type: () => true, limit: ctx.config.maxBodyBytes });

  const infer = (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return countRequest(ctx, callerOf(res), raw, async (note) => {
    const v = requireReady(resolveVersion(ctx, req));
    note({ model: v.name, version: v.version, bundleDigest: v.config.digest });
    const request = parseInferRequest(raw, req.get('inference-header-content-length'), v.config);
    note({ requestId: request.id });
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const scheduling = readSchedulingParameters(request.parameters, { priority: req.get(PRIORITY_HEADER), timeout: req.get(TIMEOUT_HEADER) });
    // Drift: tabular inputs are observed before their buffers travel to a worker.
    const tabularInput = v.drift && request.inputs.find((t) => t.name === v.config.tabular?.input);
    if (tabularInput) v.drift!.observeInputs(tabularInput.data as Float32Array, tabularInput.shape[0] ?? 0);
    const result = await v.scheduler.enqueue({ inputs: request.inputs, fetches: request.outputs.map((o) => o.name), signal: abort.signal, ...scheduling });
    const postOutput = (v.config.bundle?.postprocessing as { output?: string } | undefined)?.output;
    const observed = tabularInput && result.outputs.find((o) => o.name === postOutput);
    if (observed) v.drift!.observeOutputs(observed.data as Float32Array, tabularInput.shape[0] ?? 0);
    const encoded = encodeInferResponse(v.config, request.id, result.outputs, request.outputs);
    res.status(200).type(encoded.contentType);
    if (encoded.headerLength !== undefined) res.set('Inference-Header-Content-Length', String(encoded.headerLength));
    res.end(encoded.body);
    });
  };
  router.post('/v2/models/:model/infer', body, infer);
  router.post('/v2/models/:model/versions/:version/infer', body, infer);
  return router;
}
