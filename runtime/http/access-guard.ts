import { TLSSocket } from 'node:tls';
import type { Request, RequestHandler, Response } from 'express';
import { describeScopes, holdsAny, requirementOf, type Access } from '../auth/access.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Identity } from '../auth/identity.js';
import type { RateLimiter } from '../auth/rate-limiter.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';

export interface GuardContext {
  readonly config: Pick<Config, 'publicPaths' | 'cdsHooksJwksFile'>;
  readonly auth: Authenticator;
  readonly rateLimiter: RateLimiter | undefined;
  /** Told of every refused credential or scope (the audit log's access-denied entries). */
  readonly onDenied?: ((req: Request, error: ClinferError, identity: Identity | undefined) => void) | undefined;
}

/** The caller's identity from the request's credentials (bearer token or client certificate). */
export function identify(auth: Authenticator, req: Request): Promise<Identity> {
  const socket = req.socket instanceof TLSSocket && req.socket.authorized ? req.socket : undefined;
  return auth.authenticate({ authorization: req.headers.authorization, clientCertificate: socket?.getPeerCertificate() });
}

/**
 * Builds the first handler of a route from the route's own access declaration: authenticate, check the
 * scope, apply the per-caller rate limit, and leave the identity in res.locals.identity for the route
 * (audit, logs). CDS Hooks routes verify the EHR's JWT as their own first handler.
 */
export function accessGuard(ctx: GuardContext): (access: Access) => RequestHandler {
  const settings = { publicPaths: ctx.config.publicPaths, cdsHooksOwnAuth: ctx.config.cdsHooksJwksFile !== undefined };
  return (access) => {
    const need = requirementOf(access, settings);
    if (need.kind !== 'scope') return (_req, _res, next) => next();
    return async (req, res, next) => {
      let identity: Identity | undefined;
      try {
        identity = await identify(ctx.auth, req);
        if (!holdsAny(identity, need.anyOf)) {
          throw new ClinferError('FORBIDDEN', `caller '${identity.name}' lacks the ${describeScopes(need.anyOf)} that ${req.method} ${req.path.slice(0, 80)} needs`);
        }
      } catch (error) {
        if (error instanceof ClinferError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')) ctx.onDenied?.(req, error, identity);
        throw error;
      }
      res.locals.identity = identity;
      admitRate(ctx, identity, res);
      next();
    };
  };
}

function admitRate(ctx: GuardContext, identity: Identity, res: Response): void {
  if (!ctx.rateLimiter || !ctx.auth.enabled) return;
  const release = ctx.rateLimiter.admit(identity.name);
  res.once('close', release);
}

/**
 * The answer to a path no route matches: 401 to a caller without valid credentials (nothing about the
 * API is told to an anonymous caller beyond the public probes), else 404.
 */
export function notFoundGuard(ctx: GuardContext): RequestHandler {
  return async (req, _res, next) => {
    try {
      await identify(ctx.auth, req);
    } catch (error) {
      if (error instanceof ClinferError) ctx.onDenied?.(req, error, undefined);
      throw error;
    }
    next(new ClinferError('ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.path.slice(0, 200)}`));
  };
}
