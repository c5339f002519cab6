import type { Request, Response } from 'express';
import { needs } from '../../auth/access.js';
import { statisticsView } from '../../protocol/triton-views.js';
import type { AppContext } from '../../app-context.js';
import type { RouteTable } from '../route-table.js';

/**
 * Triton's statistics extension: GET /v2/models/stats and /v2/models/{m}[/versions/{v}]/stats.
 * Declared before the model metadata routes, so that /v2/models/stats is not read as a model named "stats".
 */
export function modelStatsRoutes(ctx: AppContext, routes: RouteTable): void {
  const infer = needs('infer');
  const stats = (req: Request, res: Response) => {
    const { model, version } = req.params as { model?: string; version?: string };
    res.json(statisticsView(ctx.repository, ctx.metrics.stats, model, version));
  };
  routes.get('/v2/models/stats', { access: infer, summary: 'inference statistics of every READY model version (Triton)' }, stats);
  routes.get('/v2/models/:model/stats', { access: infer, summary: 'inference statistics of a model (Triton)' }, stats);
  routes.get('/v2/models/:model/versions/:version/stats', { access: infer, summary: 'inference statistics of a model version (Triton)' }, stats);
}
