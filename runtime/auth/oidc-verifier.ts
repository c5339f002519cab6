import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OidcIssuer } from '../config/config-schema.js';
import { ClinferError, isClinferError } from '../errors/index.js';
import { SCOPES, type Scope } from '../config/access-vocabulary.js';
import type { Identity } from './identity.js';
import { tokenRefused } from './token-refusal.js';
import { ownEntry } from '../../adapters/own-entry.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'];
const refused = (reason: string) => new ClinferError('UNAUTHENTICATED', `the bearer token was refused: ${reason}`);

/** Verifies an OIDC / JWT bearer token; resolves to the caller's identity or throws a ClinferError. */
export type OidcVerifier = (token: string) => Promise<Identity>;

/**
 * One verifier over the configured issuers. Each issuer's keys verify only that issuer's tokens: the
 * unverified `iss` picks the issuer, and only its JWKS is consulted, so a token signed by EHR A's key
 * that claims EHR B's issuer fails B's signature check. Scopes come only from the issuer's `roleScopes`
 * (unless it opts in to `grantClaimValuesAsScopes`). A JWKS that cannot be fetched is AUTH_UNAVAILABLE
 * (503), never a refusal of the token.
 */
export function createOidcVerifier(issuers: readonly OidcIssuer[]): OidcVerifier {
  const byIssuer = new Map(issuers.map((issuer) => [issuer.issuer, { issuer, keys: keySet(issuer) }]));
  return async (token) => {
    let claimed: unknown;
    try {
      claimed = decodeJwt(token).iss;
    } catch {
      throw refused('the token is malformed');
    }
    const entry = typeof claimed === 'string' ? byIssuer.get(claimed) : undefined;
    if (!entry) throw refused("claim 'iss' names an issuer that is not configured (oidc[].issuer)");
    const { issuer, keys } = entry;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: issuer.issuer, ...(issuer.audience ? { audience: issuer.audience } : {}),
        algorithms: ALGORITHMS, requiredClaims: ['exp', 'iat', 'sub'], clockTolerance: issuer.clockSkewSeconds,
      }));
    } catch (error) {
      throw isClinferError(error) ? error : tokenRefused(error);
    }
    checkTimes(payload, issuer);
    return { name: `${issuer.issuer}#${String(payload.sub)}`, kind: 'jwt', scopes: scopesFromClaims(payload as Record<string, unknown>, issuer) };
  };
}

/** `iat` not in the future (beyond the skew) and a lifetime `exp - iat` within the issuer's maximum. */
function checkTimes(payload: JWTPayload, issuer: OidcIssuer): void {
  const now = Math.floor(Date.now() / 1000);
  const iat = payload.iat!;
  if (iat > now + issuer.clockSkewSeconds) throw refused(`claim 'iat' is in the future (more than clockSkewSeconds ${issuer.clockSkewSeconds} s ahead)`);
  const lifetime = payload.exp! - iat;
  if (lifetime > issuer.maxTokenLifetimeSeconds) throw refused(`the token lives ${lifetime} s (exp - iat), more than maxTokenLifetimeSeconds ${issuer.maxTokenLifetimeSeconds}`);
}

function keySet(issuer: OidcIssuer): JWTVerifyGetKey {
  if (issuer.jwksFile) {
    try {
      return createLocalJWKSet(JSON.parse(readFileSync(issuer.jwksFile, 'utf8')) as JSONWebKeySet);
    } catch (error) {
      throw new ClinferError('CONFIG_INVALID', `oidc: jwksFile ${issuer.jwksFile} of issuer ${issuer.issuer} is not a readable JWKS (${(error as Error).message.slice(0, 80)})`);
    }
  }
  const remote = createRemoteJWKSet(new URL(issuer.jwksUri!), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      // No key with that kid or alg is the token's fault; anything else means the key set could not be had.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
      const why = error instanceof errors.JWKSTimeout ? 'did not answer in time' : error instanceof errors.JOSEError ? `is unusable (${error.message.slice(0, 80)})` : 'could not be reached';
      throw new ClinferError('AUTH_UNAVAILABLE', `the key set (JWKS) of issuer ${issuer.issuer} ${why}; the token could not be checked, retry later`, { cause: error });
    }
  };
}

/** Scopes through the issuer's role map only; claim values that are scope names count only when opted in. */
function scopesFromClaims(payload: Record<string, unknown>, issuer: OidcIssuer): ReadonlySet<Scope> {
  const value = issuer.scopeClaim.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), payload);
  const names = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value.map(String) : [];
  const scopes = new Set<Scope>();
  for (const name of names) {
    if (issuer.grantClaimValuesAsScopes && (SCOPES as readonly string[]).includes(name)) scopes.add(name as Scope);
    for (const mapped of ownEntry(issuer.roleScopes, name) ?? []) scopes.add(mapped);
  }
  return scopes;
}
