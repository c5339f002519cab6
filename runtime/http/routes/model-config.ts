import type { Request, Response } from 'express';
import { needs } from '../../auth/access.js';
import { modelConfigView } from '../../protocol/triton-views.js';
import type { AppContext } from '../../app-context.js';
import type { RouteTable } from '../route-table.js';
import { resolveVersion } from './model-metadata.js';

/** Triton's model configuration extension: GET /v2/models/{m}[/versions/{v}]/config. */
export function modelConfigRoutes(ctx: AppContext, routes: RouteTable): void {
  const infer = needs('infer');
  const config = (req: Request, res: Response) => {
    res.json(modelConfigView(ctx.repository, resolveVersion(ctx, req)));
  };
  routes.get('/v2/models/:model/config', { access: infer, summary: 'model configuration, Triton form (serving version)' }, config);
  routes.get('/v2/models/:model/versions/:version/config', { access: infer, summary: 'model configuration, Triton form (a version)' }, config);
}
