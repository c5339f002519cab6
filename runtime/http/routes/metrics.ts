import type { AppContext } from '../../app-context.js';
import { probe } from '../../auth/access.js';
import type { RouteTable } from '../route-table.js';

export function metricsRoutes(ctx: AppContext, routes: RouteTable): void {
  routes.get('/metrics', { access: probe('/metrics', 'metrics'), plane: 'shared', summary: 'Prometheus metrics' }, async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
