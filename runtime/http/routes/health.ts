import { Router } from 'express';
import type { AppContext } from '../app-context.js';

/** OIP health: live while the process answers, ready once the repository is loaded and not draining. */
export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });
  router.get('/v2/health/ready', (_req, res) => {
    const ready = ctx.repository.ready && !ctx.isShuttingDown();
    res.status(ready ? 200 : 503).json({ ready });
  });
  router.get('/v2', (_req, res) => {
    res.json({ name: 'clinfer', version: ctx.version, extensions: ['binary_tensor_data', 'model_repository'] });
  });
  return router;
}
