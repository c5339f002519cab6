import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey, type KeyObject } from 'jose';
import { ClinferError, type ErrorCode } from '../errors/index.js';

export type SmartSigningAlg = 'RS384' | 'ES384';

export interface SmartBackendOptions {
  /** The authorization server's token endpoint; also the assertion's `aud`. */
  readonly tokenUrl: string;
  /** Our client_id at that server: the assertion's `iss` and `sub`. */
  readonly clientId: string;
  /** The private key registered (as its public JWK) with the server; imported once at start. */
  readonly privateKey: CryptoKey | KeyObject;
  readonly alg: SmartSigningAlg;
  /** `kid` of the registered public key, so the server picks the right one from our JWKS. */
  readonly keyId: string;
  /** Space-separated scopes, e.g. `system/RiskAssessment.write`. */
  readonly scope: string;
  readonly timeoutMs: number;
  /** For tests: the clock (epoch ms). */
  readonly now?: () => number;
}

/** Codes of a token request that failed. Messages name the server's origin and HTTP status, never a token. */
export type SmartTokenErrorCode = Extract<ErrorCode, 'SMART_TOKEN_REFUSED' | 'SMART_TOKEN_UNAVAILABLE'>;

export class SmartTokenError extends ClinferError<SmartTokenErrorCode> {
  constructor(code: SmartTokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SmartTokenError';
  }
}

/** Client assertions live this long; SMART Backend Services allows at most five minutes. */
const ASSERTION_LIFETIME_S = 300;
/** A cached access token is renewed this long before its expiry (or at half its life, if that is shorter). */
const RENEW_BEFORE_MS = 60_000;
/** When the server gives no expires_in, the token is used for this long. */
const DEFAULT_TOKEN_LIFETIME_S = 300;

/**
 * SMART Backend Services (SMART App Launch 2, "client-confidential-asymmetric"): an access token from the
 * client-credentials grant, the client authenticated by a JWT it signs with its private key
 * (iss = sub = client_id, aud = token URL, exp within 5 minutes, a fresh jti each time). The token is cached
 * until shortly before it expires; concurrent callers share one request; `invalidate` drops it (after a 401).
 */
export class SmartBackendClient {
  readonly #options: SmartBackendOptions;
  readonly #now: () => number;
  #cached: { token: string; renewAt: number } | undefined;
  #inflight: Promise<string> | undefined;

  constructor(options: SmartBackendOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async accessToken(): Promise<string> {
    if (this.#cached && this.#now() < this.#cached.renewAt) return this.#cached.token;
    this.#inflight ??= this.#request().finally(() => { this.#inflight = undefined; });
    return this.#inflight;
  }

  /** The FHIR server refused the token (401): the next call asks for a new one. */
  invalidate(): void {
    this.#cached = undefined;
  }

  /** The signed client assertion (exported for tests of its claims). */
  async clientAssertion(): Promise<string> {
    const { clientId, tokenUrl, alg, keyId, privateKey } = this.#options;
    const nowS = Math.floor(this.#now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg, kid: keyId, typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(tokenUrl)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + ASSERTION_LIFETIME_S)
      .setJti(randomUUID())
      .sign(privateKey);
  }

  async #request(): Promise<string> {
    const { tokenUrl, scope, timeoutMs } = this.#options;
    const origin = originOf(tokenUrl);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await this.clientAssertion(),
    });
    const asked = this.#now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new SmartTokenError('SMART_TOKEN_UNAVAILABLE', `the token endpoint ${origin} ${timedOut ? `did not answer within ${timeoutMs} ms` : 'could not be reached'}`, { cause: error });
    }
    // 400/401 (invalid_client, invalid_scope...): our key, client id or scope is not accepted there.
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new SmartTokenError('SMART_TOKEN_REFUSED', `the token endpoint ${origin} refused the client (HTTP ${response.status}${oauthError(text)})`);
    }
    if (response.status !== 200) throw new SmartTokenError('SMART_TOKEN_UNAVAILABLE', `the token endpoint ${origin} answered HTTP ${response.status}`);
    let parsed: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (error) {
      throw new SmartTokenError('SMART_TOKEN_UNAVAILABLE', `the token endpoint ${origin} answered a body that is not JSON`, { cause: error });
    }
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '' || (typeof parsed.token_type === 'string' && parsed.token_type.toLowerCase() !== 'bearer')) {
      throw new SmartTokenError('SMART_TOKEN_UNAVAILABLE', `the token endpoint ${origin} answered without a bearer access_token`);
    }
    const lifetimeMs = (typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    this.#cached = { token: parsed.access_token, renewAt: asked + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 2) };
    return parsed.access_token;
  }
}

/** The OAuth `error` code of a refusal (RFC 6749 5.2), which is safe to log; never its description. */
function oauthError(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    return typeof error === 'string' && /^[\x20-\x7e]{1,60}$/.test(error) ? `, ${error}` : '';
  } catch {
    return '';
  }
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the server';
  }
}
