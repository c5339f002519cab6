import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { tokenRefused } from './token-refusal.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';
import { ANONYMOUS_ALL, SCOPES, type Identity, type Scope } from './identity.js';

export interface Credentials {
  readonly authorization: string | undefined;
  /** The TLS socket when the connection is TLS (for client certificates). */
  readonly socket?: TLSSocket | undefined;
}

export interface Authenticator {
  /** False when no authentication is configured (loopback or --insecure): every caller gets every scope. */
  readonly enabled: boolean;
  authenticate(credentials: Credentials): Promise<Identity>;
}

const unauthenticated = (message: string) => new ClinferError('UNAUTHENTICATED', message);

/**
 * Bearer API keys (compared by SHA-256 digest in constant time), OIDC/JWT bearer tokens (verified against
 * the issuer's JWKS; scopes from a claim, roles mapped to scopes), and TLS client certificates (the subject
 * becomes the identity). Built once from the frozen configuration.
 */
export function createAuthenticator(config: Config): Authenticator {
  const keys = config.apiKeys.map((k) => ({ ...k, digest: Buffer.from(k.sha256, 'hex'), scopes: new Set(k.scopes) as ReadonlySet<Scope> }));
  const oidc = config.oidc;
  let jwks: JWTVerifyGetKey | undefined;
  if (oidc) {
    if (oidc.jwksFile) {
      try {
        jwks = createLocalJWKSet(JSON.parse(readFileSync(oidc.jwksFile, 'utf8')) as JSONWebKeySet);
      } catch (error) {
        throw new ClinferError('CONFIG_INVALID', `oidc.jwksFile ${oidc.jwksFile} is not a readable JWKS (${(error as Error).message.slice(0, 80)})`);
      }
    } else {
      jwks = createRemoteJWKSet(new URL(oidc.jwksUri!), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
    }
  }
  const enabled = keys.length > 0 || oidc !== undefined || config.tlsClientCaFile !== undefined;

  const fromToken = async (token: string): Promise<Identity> => {
    const digest = createHash('sha256').update(token).digest();
    const key = keys.find((k) => k.digest.length === digest.length && timingSafeEqual(k.digest, digest));
    if (key) return { name: key.name, kind: 'api-key', scopes: key.scopes };
    if (!oidc || !jwks || token.split('.').length !== 3) throw unauthenticated('the bearer token is not a known API key');
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: oidc.issuer, ...(oidc.audience ? { audience: oidc.audience } : {}),
        algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'], requiredClaims: ['exp', 'sub'], clockTolerance: 30,
      });
      return { name: `${oidc.issuer}#${String(payload.sub)}`, kind: 'jwt', scopes: scopesFromClaims(payload as Record<string, unknown>, oidc.scopeClaim, oidc.roleScopes) };
    } catch (error) {
      throw tokenRefused(error);
    }
  };

  return {
    enabled,
    async authenticate({ authorization, socket }) {
      if (!enabled) return ANONYMOUS_ALL;
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (token) return fromToken(token);
      if (authorization) throw unauthenticated('the Authorization header must be "Bearer <API key or token>"');
      if (socket?.authorized) {
        const subject = socket.getPeerCertificate()?.subject;
        if (subject?.CN) return { name: `cert:${subject.CN}`, kind: 'certificate', scopes: new Set(config.tlsClientScopes) };
      }
      throw unauthenticated('this endpoint needs credentials: an Authorization: Bearer <API key or token> header, or a client certificate');
    },
  };
}

/** Scopes from a space-separated claim (OAuth `scope`) or a list claim (`roles`), through the role map. */
function scopesFromClaims(payload: Record<string, unknown>, claim: string, roleScopes: Readonly<Record<string, readonly Scope[]>>): ReadonlySet<Scope> {
  const value = claim.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), payload);
  const names = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value.map(String) : [];
  const scopes = new Set<Scope>();
  for (const name of names) {
    if ((SCOPES as readonly string[]).includes(name)) scopes.add(name as Scope);
    for (const mapped of roleScopes[name] ?? []) scopes.add(mapped);
  }
  return scopes;
}
