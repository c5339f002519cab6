import { Router } from 'express';
import type { AppContext } from '../app-context.js';

/** OIP health: live while the process answers; ready as repository/readiness.ts defines it, and not draining. */
export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });
  router.get('/v2/health/ready', (_req, res) => {
    // Draining is 503 (the replica is going away); models not READY is 400, as Triton answers, with the list.
    if (ctx.isShuttingDown()) return void res.status(503).json({ ready: false });
    const { ready, notReady } = ctx.repository.readiness();
    if (ready) return void res.status(200).json({ ready });
    res.status(400).json({ ready, not_ready: notReady.map((e) => ({ model: e.name, version: e.version, state: e.state, reason: e.reason })) });
  });
  router.get('/v2', (_req, res) => {
    res.json({ name: 'clinfer', version: ctx.version, extensions: ['binary_tensor_data', 'model_repository'] });
  });
  return router;
}
