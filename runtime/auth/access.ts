import type { ProbePath, Scope } from '../config/access-vocabulary.js';
import type { Identity } from './identity.js';

/**
 * Who may call an endpoint, declared where the endpoint is declared (runtime/http/route-table.ts for
 * HTTP, runtime/grpc/grpc-access.ts for gRPC). Authorisation reads this declaration and nothing else: it
 * never re-derives an endpoint from a path string.
 * - `public`: no credentials (the web app's static files: code, no data).
 * - `probe`: a health probe, public when the operator lists its path in `publicPaths`, else `fallback`.
 * - `scopes`: an authenticated caller holding any of these scopes.
 * - `cds-hooks`: the CDS Hooks client JWT when CDS Hooks authentication is configured, else `infer`.
 */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'probe'; readonly path: ProbePath; readonly fallback: Scope }
  | { readonly kind: 'scopes'; readonly anyOf: readonly Scope[] }
  | { readonly kind: 'cds-hooks' };

export const PUBLIC: Access = Object.freeze({ kind: 'public' });
export const CDS_HOOKS: Access = Object.freeze({ kind: 'cds-hooks' });
export const needs = (...anyOf: Scope[]): Access => Object.freeze({ kind: 'scopes', anyOf: Object.freeze(anyOf) });
export const probe = (path: ProbePath, fallback: Scope): Access => Object.freeze({ kind: 'probe', path, fallback });

/** What an access rule asks of a caller under this configuration. */
export type Requirement = { readonly kind: 'none' } | { readonly kind: 'scope'; readonly anyOf: readonly Scope[] } | { readonly kind: 'cds-hooks' };

export function requirementOf(access: Access, settings: { publicPaths: readonly string[]; cdsHooksOwnAuth: boolean }): Requirement {
  switch (access.kind) {
    case 'public':
      return { kind: 'none' };
    case 'probe':
      return settings.publicPaths.includes(access.path) ? { kind: 'none' } : { kind: 'scope', anyOf: [access.fallback] };
    case 'scopes':
      return { kind: 'scope', anyOf: access.anyOf };
    case 'cds-hooks':
      return settings.cdsHooksOwnAuth ? { kind: 'cds-hooks' } : { kind: 'scope', anyOf: ['infer'] };
  }
}

export function holdsAny(identity: Identity, anyOf: readonly Scope[]): boolean {
  return anyOf.some((s) => identity.scopes.has(s));
}

/** "'infer' scope" or "'infer' or 'admin' scope", for error messages and the generated docs. */
export function describeScopes(anyOf: readonly Scope[]): string {
  return `${anyOf.map((s) => `'${s}'`).join(' or ')} scope`;
}
