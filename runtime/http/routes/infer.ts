import type { Request, Response } from 'express';
import { inferBodyParser, targetVersion } from '../infer-body.js';
import { countRequest } from '../../inference/count-request.js';
import { runInference } from '../../inference/run-inference.js';
import { callerOf } from '../caller.js';
import { connectionSignal } from '../connection-signal.js';
import { encodeInferResponse } from '../../protocol/infer-response.js';
import { PRIORITY_HEADER, TIMEOUT_HEADER } from '../../protocol/scheduling-parameters.js';
import type { AppContext } from '../../app-context.js';
import { requireReady } from '../../repository/model-version.js';
import { needs } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';

/** POST /v2/models/{m}[/versions/{v}]/infer: JSON or binary tensor data, through the model's scheduler. */
export function inferRoutes(ctx: AppContext, routes: RouteTable): void {
  const body = inferBodyParser(ctx);
  const maxJsonResponseBytes = ctx.config.maxJsonResponseBytes;

  const infer = async (req: Request, res: Response) => {
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : EMPTY;
    const answer = await countRequest(ctx, callerOf(res), raw, async (note) => {
      note({ requestedModel: String(req.params.model) });
      // Resolved once, by the body reader (its size limit is the version's).
      const v = requireReady(targetVersion(ctx, req));
      note({ model: v.name, version: v.version, bundleDigest: v.config.digest });
      const request = await ctx.inferRequests.parse(raw, req.headers['inference-header-content-length'] as string | undefined, v.config);
      note({ requestId: request.id });
      const outputs = await runInference({
        version: v, request, signal: connectionSignal(req.socket), maxJsonResponseBytes,
        headers: { priority: req.headers[PRIORITY_HEADER] as string | undefined, timeout: req.headers[TIMEOUT_HEADER] as string | undefined },
      });
      return encodeInferResponse(v.config, request.id, outputs, request.outputs, maxJsonResponseBytes);
    });
    // Answered only now: countRequest resolves once the audit entry is written (or refuses the request).
    res.statusCode = 200;
    res.setHeader('Content-Type', answer.contentType === 'application/json' ? JSON_TYPE : answer.contentType);
    if (answer.headerLength !== undefined) res.setHeader('Inference-Header-Content-Length', String(answer.headerLength));
    res.setHeader('Content-Length', answer.byteLength);
    if (answer.parts.length === 1) {
      res.end(answer.parts[0]);
      return;
    }
    // Large binary outputs go out from their own memory, in one gathered write (no joined copy).
    res.cork();
    for (const part of answer.parts) res.write(part);
    res.end();
  };
  routes.post('/v2/models/:model/infer', { access: needs('infer'), summary: 'OIP inference (serving version)' }, body, infer);
  routes.post('/v2/models/:model/versions/:version/infer', { access: needs('infer'), summary: 'OIP inference (a version)' }, body, infer);
}

const EMPTY = Buffer.alloc(0);
/** As express's res.type would write it. */
const JSON_TYPE = 'application/json; charset=utf-8';
