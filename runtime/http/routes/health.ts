import type { AppContext } from '../../app-context.js';
import { needs, probe } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';
import { SERVER_EXTENSIONS } from '../../protocol/extensions.js';

/** OIP health: live while the process answers; ready as repository/readiness.ts defines it, and not draining. */
export function healthRoutes(ctx: AppContext, routes: RouteTable): void {
  routes.get('/v2/health/live', { access: probe('/v2/health/live', 'infer'), plane: 'shared', summary: 'liveness' }, (_req, res) => {
    res.json({ live: true });
  });
  routes.get('/v2/health/ready', { access: probe('/v2/health/ready', 'infer'), plane: 'shared', summary: 'readiness' }, (_req, res) => {
    // Draining is 503 (the replica is going away); models not READY is 400, as Triton answers, with the list.
    if (ctx.isShuttingDown()) return void res.status(503).json({ ready: false });
    const { ready, notReady, degraded } = ctx.repository.readiness();
    const listed = (entries: typeof notReady) => entries.map((e) => ({ model: e.name, version: e.version, state: e.state, reason: e.reason }));
    // Degraded: versions the watchdog took out after an execution timeout; the others still serve.
    const extra = degraded.length > 0 ? { degraded: listed(degraded) } : {};
    if (ready) return void res.status(200).json({ ready, ...extra });
    res.status(400).json({ ready, not_ready: listed(notReady), ...extra });
  });
  routes.get('/v2', { access: needs('infer'), summary: 'server metadata' }, (_req, res) => {
    res.json({ name: 'clinfer', version: ctx.version, extensions: SERVER_EXTENSIONS });
  });
}
