import { TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import type { Authenticator } from '../auth/authenticator.js';
import type { RateLimiter } from '../auth/rate-limiter.js';
import { requirementFor } from '../auth/required-scope.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';

/**
 * Authenticates every request that is not public, checks the scope its endpoint needs, and applies the
 * per-identity rate limit. The identity is left in res.locals.identity for the routes (audit).
 */
export function authMiddleware(config: Config, auth: Authenticator, limiter: RateLimiter | undefined): RequestHandler {
  return async (req, res, next) => {
    const need = requirementFor(req.method, req.path, config.publicPaths, config.cdsHooksJwksFile !== undefined);
    if (need.kind !== 'scope') return next();
    const identity = await auth.authenticate({ authorization: req.get('authorization'), socket: req.socket instanceof TLSSocket ? req.socket : undefined });
    if (!identity.scopes.has(need.scope) && !(need.orScope && identity.scopes.has(need.orScope))) {
      const wanted = need.orScope ? `'${need.scope}' or '${need.orScope}' scope` : `'${need.scope}' scope`;
      throw new ClinferError('FORBIDDEN', `caller '${identity.name}' lacks the ${wanted} that ${req.method} ${req.path.slice(0, 80)} needs`);
    }
    res.locals.identity = identity;
    if (limiter && auth.enabled) {
      const release = limiter.admit(identity.name);
      res.once('close', release);
    }
    next();
  };
}

const ALLOWED_HEADERS = 'authorization, content-type, accept-language, inference-header-content-length, clinfer-priority, clinfer-timeout';
const EXPOSED_HEADERS = 'inference-header-content-length, retry-after';

/** CORS for the configured origins only; other origins get no CORS headers (the browser blocks them). */
export function corsMiddleware(origins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origins.includes(origin)) {
      res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Expose-Headers': EXPOSED_HEADERS });
      if (req.method === 'OPTIONS') {
        res.set({ 'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE', 'Access-Control-Allow-Headers': ALLOWED_HEADERS, 'Access-Control-Max-Age': '600' });
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
