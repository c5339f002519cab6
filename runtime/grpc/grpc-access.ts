import type { Metadata } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';

/** What authorisation reads of a call (every grpc-js server call has both). */
interface CallCredentials {
  readonly metadata: Metadata;
  getAuthContext(): AuthContext;
}
import { describeScopes, holdsAny, needs, probe, requirementOf, type Access } from '../auth/access.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Identity } from '../auth/identity.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';

/**
 * The access rule of every gRPC method, declared in one table beside the service (the same rules as
 * their HTTP twins). A method missing here cannot be served: `grpcAccess` throws at start.
 */
export const GRPC_ACCESS: Readonly<Record<string, Access>> = Object.freeze({
  ServerLive: probe('/v2/health/live', 'infer'),
  ServerReady: probe('/v2/health/ready', 'infer'),
  ModelReady: needs('infer'),
  ServerMetadata: needs('infer'),
  ModelMetadata: needs('infer'),
  ModelInfer: needs('infer'),
  ModelStreamInfer: needs('infer'),
  ModelConfig: needs('infer'),
  ModelStatistics: needs('infer'),
  RepositoryIndex: needs('infer', 'admin'),
  RepositoryModelLoad: needs('admin'),
  RepositoryModelUnload: needs('admin'),
});

export function grpcAccess(method: string): Access {
  const access = GRPC_ACCESS[method];
  if (!access) throw new Error(`gRPC method ${method} has no access rule in GRPC_ACCESS`);
  return access;
}

/**
 * Authenticates a call like an HTTP request: the `authorization` metadata (API key or OIDC token), or the
 * client certificate TLS verified against tlsClientCaFile. Undefined for a public method.
 */
export async function authorizeCall(config: Pick<Config, 'publicPaths'>, auth: Authenticator, method: string, call: CallCredentials, onDenied?: (error: ClinferError, identity: Identity | undefined) => void): Promise<Identity | undefined> {
  const need = requirementOf(grpcAccess(method), { publicPaths: config.publicPaths, cdsHooksOwnAuth: false });
  if (need.kind !== 'scope') return undefined;
  let identity: Identity | undefined;
  try {
    identity = await auth.authenticate({
      authorization: call.metadata.get('authorization')[0]?.toString(),
      clientCertificate: call.getAuthContext().sslPeerCertificate,
    });
    if (!holdsAny(identity, need.anyOf)) throw new ClinferError('FORBIDDEN', `caller '${identity.name}' lacks the ${describeScopes(need.anyOf)} that ${method} needs`);
    return identity;
  } catch (error) {
    if (error instanceof ClinferError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')) onDenied?.(error, identity);
    throw error;
  }
}
