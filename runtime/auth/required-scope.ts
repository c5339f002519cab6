import type { Scope } from './identity.js';

/** What a request needs: nothing (public), a scope, or CDS Hooks' own client JWT. */
export type Requirement = { kind: 'public' } | { kind: 'scope'; scope: Scope; orScope?: Scope } | { kind: 'cds-hooks' };

/**
 * The access rule of every endpoint, in one table. Liveness and readiness are public (probes carry no
 * credentials); the model repository needs `admin`; /metrics needs `metrics`; everything else `infer`.
 */
export function requirementFor(method: string, path: string, publicPaths: readonly string[], cdsHooksOwnAuth: boolean): Requirement {
  if (publicPaths.includes(path)) return { kind: 'public' };
  // The web app's static files: code, no data (a browser cannot send a token when it loads a page).
  if (path === '/app' || path.startsWith('/app/')) return { kind: 'public' };
  if (path.startsWith('/cds-services')) return cdsHooksOwnAuth ? { kind: 'cds-hooks' } : { kind: 'scope', scope: 'infer' };
  if (path === '/metrics') return { kind: 'scope', scope: 'metrics' };
  // The list of models and their states: what a caller allowed to infer needs to pick a model (the web app).
  if (path === '/v2/repository/index') return { kind: 'scope', scope: 'infer', orScope: 'admin' };
  if (path.startsWith('/v2/repository')) {
    return { kind: 'scope', scope: method === 'PUT' || method === 'DELETE' || path.endsWith('/rollback') || path.endsWith('/candidate') ? 'deploy' : 'admin' };
  }
  return { kind: 'scope', scope: 'infer' };
}

/** gRPC methods: the health checks are public like their HTTP twins, the rest needs `infer`. */
export function requirementForGrpc(method: string, publicPaths: readonly string[]): Requirement {
  if ((method === 'ServerLive' && publicPaths.includes('/v2/health/live')) || (method === 'ServerReady' && publicPaths.includes('/v2/health/ready'))) {
    return { kind: 'public' };
  }
  return { kind: 'scope', scope: 'infer' };
}
