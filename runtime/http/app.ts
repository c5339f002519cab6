import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { ClinferError, httpStatusFromError } from '../errors/index.js';
import type { AppContext } from '../app-context.js';
import { type Listener, modelControlRefusal } from '../model-control.js';
import { securityHeaders } from './security-headers.js';
import { PUBLIC } from '../auth/access.js';
import { accessGuard, notFoundGuard, type GuardContext } from './access-guard.js';
import { corsMiddleware } from './cors.js';
import { errorHandler } from './error-handler.js';
import { RouteTable, type Plane, type PlaneDecision } from './route-table.js';
import { bundleFilesRoutes } from './routes/bundle-files.js';
import { cdsHooksRoutes } from './routes/cds-hooks.js';
import { dicomwebRoutes } from './routes/dicomweb.js';
import { healthRoutes } from './routes/health.js';
import { inferRoutes } from './routes/infer.js';
import { inferFastPath } from './infer-fast-path.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelConfigRoutes } from './routes/model-config.js';
import { modelMetadataRoutes } from './routes/model-metadata.js';
import { modelStatsRoutes } from './routes/model-stats.js';
import { predictRoutes } from './routes/predict.js';
import { outcomeRoutes } from './routes/outcomes.js';
import { repositoryRoutes } from './routes/repository.js';
import { WEB_APP_DIST, webAppRoutes } from './routes/web-app.js';

/**
 * Which endpoints a listener serves. Model control (load, unload, deploy, delete, rollback, candidates)
 * is answered MODEL_CONTROL_DISABLED where it is off: everywhere under modelControlMode "none", and on
 * the API port when an admin listener serves it. The admin listener serves no inference.
 */
export function planeDecision(config: Pick<AppContext['config'], 'modelControlMode' | 'adminListener'>, listener: Listener): (plane: Plane) => PlaneDecision {
  return (plane) => {
    if (plane === 'shared') return { serve: true };
    if (plane === 'inference') return listener === 'api' ? { serve: true } : { serve: false };
    if (!modelControlRefusal(config, listener)) return { serve: true };
    return { serve: false, refuse: (_req, _res, next) => next(modelControlRefusal(config, listener)) };
  };
}

/** A request id a caller may choose. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The HTTP API: OIP v2 (KServe / Triton) plus /metrics. No route logs a body. */
export function createApp(ctx: AppContext, listener: Listener = 'api'): Express {
  const app = express();
  // Strict routing everywhere: the path a route matched is the path its access guard was declared for.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.disable('x-powered-by');
  app.set('etag', false);
  const requestIdAndDraining: RequestHandler = (req, res, next) => {
    // Per request: node's setHeader and the parsed header object (what res.set and req.get come down to for these headers).
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // A request id ties a caller's request to the server's log lines (taken from the caller when sane).
    // Random, not a counter: it also names a prediction to POST /v1/models/{m}/outcomes, so it must not be guessable.
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    if (ctx.isShuttingDown()) {
      // Draining: clients move to another replica; probes still answer (readiness says false).
      res.set('Connection', 'close');
      if (!req.path.startsWith('/v2/health')) return next(new ClinferError('SERVER_SHUTTING_DOWN', 'the server is shutting down; send the request to another replica or retry shortly'));
    }
    next();
  };
  // Every request, in this order; the infer fast path (infer-fast-path.ts) runs the same list.
  const everyRequest: RequestHandler[] = [requestIdAndDraining, securityHeaders(ctx.config), corsMiddleware(ctx.config.corsOrigins)];
  for (const middleware of everyRequest) app.use(middleware);
  const audit = ctx.audit;
  const guardContext: GuardContext = {
    config: ctx.config, auth: ctx.auth, rateLimiter: ctx.rateLimiter,
    // Refused credentials and scopes are on record (rate-limited per source inside the audit log).
    onDenied: audit && ((req, error, identity) => audit.recordAccessDenied({
      source: req.socket.remoteAddress ?? 'unknown', caller: identity?.name, method: req.method,
      route: (req.route as { path?: string } | undefined)?.path ?? '(no route)', status: httpStatusFromError(error), code: error.code, transport: 'http',
    })),
  };
  const routes = new RouteTable({ guard: accessGuard(guardContext), plane: planeDecision(ctx.config, listener) });
  // Inference first: the router tries its layers in order, and no other route matches POST on these
  // paths (strict, case-sensitive), so the order changes what each request walks, not what it reaches.
  inferRoutes(ctx, routes);
  if (ctx.config.webApp) {
    // The web app's static files: code, no data (a browser sends no token when it loads a page).
    routes.use('/app', { access: PUBLIC, summary: "the clinician's web app (static files)" },
      webAppRoutes({ distDir: WEB_APP_DIST, frameAncestors: ctx.config.webAppFrameAncestors, crossOriginIsolation: ctx.config.webAppCrossOriginIsolation }));
  }
  healthRoutes(ctx, routes);
  bundleFilesRoutes(ctx, routes);
  modelStatsRoutes(ctx, routes);
  modelConfigRoutes(ctx, routes);
  modelMetadataRoutes(ctx, routes);
  predictRoutes(ctx, routes);
  outcomeRoutes(ctx, routes);
  cdsHooksRoutes(ctx, routes);
  dicomwebRoutes(ctx, routes);
  repositoryRoutes(ctx, routes);
  metricsRoutes(ctx, routes);
  app.use(routes.router);
  const notFound = notFoundGuard(guardContext);
  const onError = errorHandler(ctx.log);
  app.use(notFound);
  app.use(onError);
  inferFastPath({ app, router: routes.router, everyRequest, notFound, errorHandler: onError, draining: () => ctx.isShuttingDown() });
  return app;
}
