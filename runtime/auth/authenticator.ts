import { createHash, timingSafeEqual } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { createOidcVerifier } from './oidc-verifier.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';
import type { Scope } from '../config/access-vocabulary.js';
import { ANONYMOUS_ALL, type Identity } from './identity.js';

export interface Credentials {
  readonly authorization: string | undefined;
  /**
   * The client certificate, given only when TLS verified it against tlsClientCaFile (HTTPS and gRPC
   * alike: runtime/http/access-guard.ts and runtime/grpc/grpc-access.ts).
   */
  readonly clientCertificate?: PeerCertificate | undefined;
}

export interface Authenticator {
  /** False when no authentication is configured (loopback or --insecure): every caller gets every scope. */
  readonly enabled: boolean;
  authenticate(credentials: Credentials): Promise<Identity>;
}

const unauthenticated = (message: string) => new ClinferError('UNAUTHENTICATED', message);

/**
 * Bearer API keys (compared by SHA-256 digest in constant time), OIDC/JWT bearer tokens (oidc-verifier.ts:
 * each issuer's own JWKS, roles mapped to scopes), and TLS client certificates (the subject
 * becomes the identity). Built once from the frozen configuration.
 */
export function createAuthenticator(config: Config): Authenticator {
  const keys = config.apiKeys.map((k) => ({ ...k, digest: Buffer.from(k.sha256, 'hex'), scopes: new Set(k.scopes) as ReadonlySet<Scope> }));
  const oidc = config.oidc?.length ? createOidcVerifier(config.oidc) : undefined;
  const enabled = keys.length > 0 || oidc !== undefined || config.tlsClientCaFile !== undefined;

  const fromToken = async (token: string): Promise<Identity> => {
    const digest = createHash('sha256').update(token).digest();
    const key = keys.find((k) => k.digest.length === digest.length && timingSafeEqual(k.digest, digest));
    if (key) return { name: key.name, kind: 'api-key', scopes: key.scopes };
    if (!oidc || token.split('.').length !== 3) throw unauthenticated('the bearer token is not a known API key');
    return oidc(token);
  };

  return {
    enabled,
    async authenticate({ authorization, clientCertificate }) {
      if (!enabled) return ANONYMOUS_ALL;
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (token) return fromToken(token);
      if (authorization) throw unauthenticated('the Authorization header must be "Bearer <API key or token>"');
      const subject = config.tlsClientCaFile ? clientCertificate?.subject : undefined;
      if (subject?.CN) return { name: `cert:${subject.CN}`, kind: 'certificate', scopes: new Set(config.tlsClientScopes) };
      throw unauthenticated('this endpoint needs credentials: an Authorization: Bearer <API key or token> header, or a client certificate');
    },
  };
}
