import { Router } from 'express';
import type { AppContext } from '../app-context.js';

/** Triton's model repository extension: index, load, unload. */
export function repositoryRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/v2/repository/index', (_req, res) => {
    res.json(ctx.repository.index());
  });
  router.post('/v2/repository/models/:model/load', async (req, res) => {
    await ctx.repository.load(req.params.model);
    res.status(200).json({});
  });
  router.post('/v2/repository/models/:model/unload', async (req, res) => {
    await ctx.repository.unload(req.params.model);
    res.status(200).json({});
  });
  return router;
}
