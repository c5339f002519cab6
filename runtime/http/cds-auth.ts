import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { tokenRefused } from '../auth/token-refusal.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';

export type CdsTokenVerifier = (authorization: string | undefined, audience: string) => Promise<void>;

/**
 * CDS Hooks client authentication (2.0): a bearer JWT signed ES384 or RS384 by a key of the configured
 * JWKS, `iss` among the accepted issuers, `aud` the service URL, unexpired, with a `jti` not seen before
 * (replays refused while the token is valid). Undefined when authentication is off.
 */
export function createCdsTokenVerifier(config: Config): CdsTokenVerifier | undefined {
  if (!config.cdsHooksJwksFile) return undefined;
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(config.cdsHooksJwksFile, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new Error('no "keys" array');
  } catch (error) {
    throw new ClinferError('CONFIG_INVALID', `cdsHooksJwksFile ${config.cdsHooksJwksFile} is not a JWKS (${(error as Error).message.slice(0, 80)})`);
  }
  const keys = createLocalJWKSet(jwks);
  const seen = new Map<string, number>();
  return async (authorization, audience) => {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new ClinferError('UNAUTHENTICATED', 'CDS Hooks requests need an Authorization: Bearer <JWT> header');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.cdsHooksIssuers, audience, algorithms: ['ES384', 'RS384'],
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'], clockTolerance: 5,
      }));
    } catch (error) {
      throw tokenRefused(error);
    }
    const now = Date.now() / 1000;
    for (const [jti, exp] of seen) if (exp < now) seen.delete(jti);
    const jti = String(payload.jti);
    if (seen.has(jti)) throw new ClinferError('UNAUTHENTICATED', "the bearer token was refused: its 'jti' was already used");
    if (seen.size < 100_000) seen.set(jti, payload.exp ?? now + 300);
  };
}

/**
 * The first handler of every CDS Hooks route: with client authentication configured, the EHR's JWT is
 * verified before anything else, the body included (an anonymous caller's 40 MB body is never parsed).
 * The audience is the service URL under `publicUrl`, never one built from the Host header (required by
 * the configuration whenever cdsHooksJwksFile is set).
 */
export function cdsAuthHandler(config: Config): RequestHandler {
  const verify = createCdsTokenVerifier(config);
  if (!verify) return (_req, _res, next) => next();
  if (!config.publicUrl) throw new ClinferError('CONFIG_INVALID', "configuration field 'publicUrl': CDS Hooks client authentication needs it (the token audience)");
  const base = config.publicUrl.replace(/\/$/, '');
  return async (req, _res, next) => {
    await verify(req.get('authorization'), `${base}${req.baseUrl}${req.path}`);
    next();
  };
}
