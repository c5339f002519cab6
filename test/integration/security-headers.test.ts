import { readdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_APP_DIST } from '../../runtime/http/routes/web-app.js';
import type { ClinferServer } from '../../runtime/server.js';
import { makePki } from '../helpers/pki.js';
import { startTestServer, TempRepository } from '../helpers/server.js';

/** Answers are not kept by browsers or proxies (Cache-Control: no-store); HTTPS answers carry HSTS. */
const row = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] });
let plain: ClinferServer;
let tls: ClinferServer;
let repo: TempRepository;
const pki = makePki();

beforeAll(async () => {
  repo = new TempRepository().addDemo('heart-disease-risk');
  plain = await startTestServer(repo.root);
  tls = await startTestServer(repo.root, { tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey });
});
afterAll(async () => {
  await plain?.close();
  await tls?.close();
  repo?.remove();
});

describe('Cache-Control', () => {
  it.each([
    ['a prediction', 'POST', '/v2/models/heart-disease-risk/infer', row, 200],
    ['a tabular prediction', 'POST', '/v1/models/heart-disease-risk/predict', JSON.stringify({ records: [{}] }), undefined],
    ['model metadata', 'GET', '/v2/models/heart-disease-risk', undefined, 200],
    ['the repository index', 'POST', '/v2/repository/index', '{}', 200],
    ['an error', 'GET', '/v2/models/nope', undefined, 404],
    ['metrics', 'GET', '/metrics', undefined, 200],
  ])('is no-store on %s', async (_what, method, path, body, status) => {
    const res = await fetch(`${plain.url}${path}`, { method, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
    if (status !== undefined) expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it("leaves the web app's static files and a model's bundle files their own caching", async () => {
    expect((await fetch(`${plain.url}/app/`)).headers.get('cache-control')).toBe('no-cache');
    const asset = readdirSync(join(WEB_APP_DIST, 'assets'))[0]!;
    expect((await fetch(`${plain.url}/app/assets/${asset}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${plain.url}/v1/models/heart-disease-risk/versions/1/files/bundle.json`)).headers.get('cache-control')).toMatch(/immutable/);
  });
});

describe('Strict-Transport-Security', () => {
  it('is sent on every HTTPS answer', async () => {
    const headers = await new Promise<Record<string, unknown>>((ok, fail) => {
      const req = httpsRequest(`${tls.url}/v2/health/live`, { ca: readFileSync(pki.ca), agent: false }, (res) => {
        res.resume();
        res.on('end', () => ok(res.headers));
      });
      req.on('error', fail);
      req.end();
    });
    expect(headers['strict-transport-security']).toBe('max-age=31536000');
    expect(headers['cache-control']).toBe('no-store');
  });
});
