import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, jwtVerify, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartBackendClient, SmartTokenError } from '../../../runtime/auth/smart-backend-client.js';

/** The SMART Backend Services token client against a token endpoint on loopback that checks each assertion. */
let server: Server;
let tokenUrl: string;
let publicKey: CryptoKey;
let privateKey: CryptoKey;
let answer: { status: number; body: unknown } | undefined;
const requests: { form: URLSearchParams; claims: any }[] = [];

beforeAll(async () => {
  ({ publicKey, privateKey } = await generateKeyPair('ES384'));
  server = createServer(async (req, res) => {
    let text = '';
    for await (const c of req) text += c;
    const form = new URLSearchParams(text);
    let claims: any;
    try {
      ({ payload: claims } = await jwtVerify(form.get('client_assertion') ?? '', publicKey, { issuer: 'c1', subject: 'c1', audience: tokenUrl, algorithms: ['ES384'] }));
    } catch {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: 'Patient Marguerite' }));
      return;
    }
    requests.push({ form, claims });
    const { status, body } = answer ?? { status: 200, body: { access_token: `t${requests.length}`, token_type: 'Bearer', expires_in: 600 } };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
afterAll(() => new Promise((r) => server.close(r)));

const client = (now: () => number, key = privateKey) => new SmartBackendClient({ tokenUrl, clientId: 'c1', privateKey: key, alg: 'ES384', keyId: 'k1', scope: 'system/RiskAssessment.write', timeoutMs: 2000, now });

describe('SmartBackendClient', () => {
  it('asks once for concurrent callers, caches the token until a minute before expiry, then asks with a new jti', async () => {
    requests.length = 0;
    answer = undefined;
    let now = Date.now();
    const c = client(() => now);
    expect(await Promise.all([c.accessToken(), c.accessToken(), c.accessToken()])).toEqual(['t1', 't1', 't1']);
    const [{ form, claims }] = requests as [{ form: URLSearchParams; claims: any }];
    expect(Object.fromEntries(form)).toMatchObject({ grant_type: 'client_credentials', scope: 'system/RiskAssessment.write', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' });
    expect(claims.exp - claims.iat).toBe(300);
    now += 539_000;
    expect(await c.accessToken()).toBe('t1');
    now += 2_000; // 541 s of 600: within the last minute
    expect(await c.accessToken()).toBe('t2');
    expect(requests[1]!.claims.jti).not.toBe(claims.jti);
    c.invalidate();
    expect(await c.accessToken()).toBe('t3');
  });

  it('says SMART_TOKEN_REFUSED for a key the server does not know, without its error_description', async () => {
    const other = await generateKeyPair('ES384');
    const error = await client(Date.now, other.privateKey).accessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmartTokenError);
    expect((error as SmartTokenError).code).toBe('SMART_TOKEN_REFUSED');
    expect((error as Error).message).toBe(`the token endpoint ${new URL(tokenUrl).origin} refused the client (HTTP 401, invalid_client)`);
  });

  it('says SMART_TOKEN_UNAVAILABLE for a 503, a token that is not bearer, or a server that is gone', async () => {
    for (const a of [{ status: 503, body: {} }, { status: 200, body: { access_token: 'x', token_type: 'mac' } }, { status: 200, body: { token_type: 'bearer' } }]) {
      answer = a;
      const error = await client(Date.now).accessToken().catch((e: unknown) => e);
      expect((error as SmartTokenError).code, JSON.stringify(a)).toBe('SMART_TOKEN_UNAVAILABLE');
    }
    answer = undefined;
    const gone = new SmartBackendClient({ tokenUrl: 'http://127.0.0.1:1/token', clientId: 'c1', privateKey, alg: 'ES384', keyId: 'k1', scope: 's', timeoutMs: 2000 });
    expect(((await gone.accessToken().catch((e: unknown) => e)) as SmartTokenError).code).toBe('SMART_TOKEN_UNAVAILABLE');
  });
});
