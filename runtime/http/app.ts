import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { ClinferError } from '../errors/index.js';
import type { AppContext } from './app-context.js';
import { authMiddleware, corsMiddleware } from './auth-middleware.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { bundleFilesRoutes } from './routes/bundle-files.js';
import { cdsHooksRoutes } from './routes/cds-hooks.js';
import { dicomwebRoutes } from './routes/dicomweb.js';
import { healthRoutes } from './routes/health.js';
import { inferRoutes } from './routes/infer.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelMetadataRoutes } from './routes/model-metadata.js';
import { predictRoutes } from './routes/predict.js';
import { repositoryRoutes } from './routes/repository.js';
import { WEB_APP_DIST, webAppRoutes } from './routes/web-app.js';

/** The HTTP API: OIP v2 (KServe / Triton) plus /metrics. No route logs a body. */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    // A request id ties a caller's request to the server's log lines (taken from the caller when sane).
    const given = req.get('x-request-id');
    res.locals.requestId = given && /^[A-Za-z0-9._:-]{1,100}$/.test(given) ? given : randomUUID();
    res.set('X-Request-Id', res.locals.requestId as string);
    if (ctx.isShuttingDown()) {
      // Draining: clients move to another replica; probes still answer (readiness says false).
      res.set('Connection', 'close');
      if (!req.path.startsWith('/v2/health')) return next(new ClinferError('SERVER_SHUTTING_DOWN', 'the server is shutting down; send the request to another replica or retry shortly'));
    }
    next();
  });
  app.use(corsMiddleware(ctx.config.corsOrigins));
  app.use(authMiddleware(ctx.config, ctx.auth, ctx.rateLimiter));
  if (ctx.config.webApp) app.use(webAppRoutes({ distDir: WEB_APP_DIST, frameAncestors: ctx.config.webAppFrameAncestors, crossOriginIsolation: ctx.config.webAppCrossOriginIsolation }));
  app.use(healthRoutes(ctx));
  app.use(bundleFilesRoutes(ctx));
  app.use(modelMetadataRoutes(ctx));
  app.use(inferRoutes(ctx));
  app.use(predictRoutes(ctx));
  app.use(cdsHooksRoutes(ctx));
  app.use(dicomwebRoutes(ctx));
  app.use(repositoryRoutes(ctx));
  app.use(metricsRoutes(ctx));
  app.use(notFoundHandler);
  app.use(errorHandler(ctx.log));
  return app;
}
