import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, startTestServer, TempRepository } from '../helpers/server.js';
import { ensureAppBuilt } from '../../tools/browser/build-app.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { webAppRoutes } from '../../runtime/http/routes/web-app.js';
import { parseConfig } from '../../runtime/config/load-config.js';

const XRAY = 'chest-xray-pneumonia';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A GET (or HEAD) with the path sent exactly as written: fetch would resolve dot segments and %2e first. */
function rawRequest(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web app and bundle file routes', () => {
  const repo = new TempRepository();
  let server: ClinferServer;
  let web: { url: string };
  let unbuilt: { url: string; server: Server };
  const emptyDist = mkdtempSync(join(tmpdir(), 'clinfer-no-app-'));

  beforeAll(async () => {
    await ensureAppBuilt();
    repo.addDemo(XRAY);
    repo.write(`${XRAY}/1/NOTES.txt`, 'not to be served\n');
    repo.add('bare-model', '1', { 'model.onnx': { copy: join(DEMO_MODELS, XRAY, '1/model.onnx') } });
    // The config refuses a frame ancestor that is not an origin; the route drops one anyway (checked below).
    server = await startTestServer(repo.root, { workers: 1, webAppFrameAncestors: ['https://ehr.example.org', 'http://127.0.0.1:8443'] });
    web = server;
    // The route alone, over a folder where the app was never built.
    const app = express().use('/app', webAppRoutes({ distDir: emptyDist, frameAncestors: ["https://x.org; script-src *"], crossOriginIsolation: true }));
    const plain = createServer(app);
    await new Promise<void>((ok) => plain.listen(0, '127.0.0.1', ok));
    unbuilt = { url: `http://127.0.0.1:${(plain.address() as AddressInfo).port}`, server: plain };
  }, 120_000);

  afterAll(async () => {
    await new Promise((ok) => (unbuilt ? unbuilt.server.close(ok) : ok(undefined)));
    await server?.close();
    repo.remove();
    rmSync(emptyDist, { recursive: true, force: true });
  });

  it('serves /app/ with isolation, CSP, frame-ancestors from the config, nosniff and no referrer; index.html revalidated', async () => {
    const res = await fetch(`${web.url}/app/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    // Hosts are configured: the page itself may be framed by a cross-origin isolated host (CORP cross-origin).
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy')!.split('; ');
    expect(csp).toEqual(expect.arrayContaining([
      "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "img-src 'self' blob: data:", "style-src 'self'", "object-src 'none'",
      "frame-ancestors 'self' https://ehr.example.org http://127.0.0.1:8443",
    ]));
    expect(await res.text()).toContain('/app/assets/index-');
    // Something that is not an origin never reaches the CSP: the config refuses it, and the route drops it.
    expect(() => parseConfig({ webAppFrameAncestors: ['https://x.org; script-src *'] })).toThrow(/webAppFrameAncestors/);
    const unbuiltCsp = (await fetch(`${unbuilt.url}/app/`)).headers.get('content-security-policy')!;
    expect(unbuiltCsp).toContain("frame-ancestors 'self'");
    expect(unbuiltCsp).not.toContain('script-src *');
  });

  it('caches hashed assets for good, serves .wasm as application/wasm, and revalidates sw.js', async () => {
    const html = await (await fetch(`${web.url}/app/`)).text();
    const script = /src="(\/app\/assets\/index-[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${web.url}${script}`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('cross-origin-resource-policy'), 'assets stay same-origin').toBe('same-origin');
    // Without configured hosts (only the invalid one, dropped) the page stays same-origin too.
    expect((await fetch(`${unbuilt.url}/app/`)).headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const wasm = await rawRequest(web.url, '/app/assets/ort-1.30.0/ort-wasm-simd-threaded.wasm', {}, 'HEAD');
    expect(wasm.status).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect(wasm.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const sw = await fetch(`${web.url}/app/sw.js`);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    expect(sw.headers.get('content-type')).toMatch(/javascript/);
  });

  it('redirects /app to /app/ keeping the query, and reaches nothing outside app/dist', async () => {
    const bare = await fetch(`${web.url}/app?model=${XRAY}`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe(`/app/?model=${XRAY}`);
    for (const path of ['/app/../package.json', '/app/%2e%2e/package.json', '/app/..%2fpackage.json', '/app/assets/..%2f..%2f..%2fpackage.json', '/app/.gitignore']) {
      const res = await rawRequest(web.url, path);
      expect(res.status, path).not.toBe(200);
      expect(res.body.toString(), path).not.toContain('"name": "clinfer"');
    }
  });

  it('answers 503 with what to do when the app is not built', async () => {
    const res = await fetch(`${unbuilt.url}/app/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('the web app is not built: run npm run build:app');
  });

  it("serves a version's bundle.json and model with its SHA-256 as ETag, immutable, and 304 when the client has it", async () => {
    for (const file of ['bundle.json', 'model.onnx']) {
      const onDisk = readFileSync(join(repo.root, XRAY, '1', file));
      const res = await fetch(`${web.url}/v1/models/${XRAY}/versions/1/files/${file}`);
      expect(res.status, file).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(onDisk), file).toBe(true);
      const etag = `"${sha256(onDisk)}"`;
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(res.headers.get('content-type')).toMatch(file === 'bundle.json' ? /^application\/json/ : /^application\/octet-stream/);
      const again = await fetch(`${web.url}/v1/models/${XRAY}/versions/1/files/${file}?digest=0123456789abcdef`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
      expect(again.headers.get('etag')).toBe(etag);
      const stale = await fetch(`${web.url}/v1/models/${XRAY}/versions/1/files/${file}`, { headers: { 'if-none-match': '"0000"' } });
      expect(stale.status).toBe(200);
    }
    const bundle = JSON.parse(readFileSync(join(repo.root, XRAY, '1/bundle.json'), 'utf8'));
    const model = await fetch(`${web.url}/v1/models/${XRAY}/versions/1/files/model.onnx`);
    expect(model.headers.get('etag')).toBe(`"${bundle.model.sha256}"`);
  });

  it('serves no other file: traversal, encoded slashes and other files in the folder are 404', async () => {
    const base = `/v1/models/${XRAY}/versions/1/files/`;
    const paths = [
      `${base}NOTES.txt`, `${base}..%2Fbundle.json`, `${base}..%2f1%2fbundle.json`, `${base}%2E%2E%2F%2E%2E%2F${XRAY}%2F1%2Fbundle.json`,
      `${base}..%5Cbundle.json`, `${base}bundle.json%00`, `${base}%2e%2e`, `${base}.`, `${base}model.onnx%2F`, `${base}bundle.json/..`,
      `${base}`, `/v1/models/${XRAY}/versions/1/files`, `/v1/models/${XRAY}/versions/..%2F1/files/bundle.json`, `/v1/models/..%2F${XRAY}/versions/1/files/bundle.json`,
      `/v1/models/bare-model/versions/1/files/model.onnx`, `/v1/models/no-such-model/versions/1/files/bundle.json`, `/v1/models/${XRAY}/versions/9/files/bundle.json`,
    ];
    for (const path of paths) {
      const res = await rawRequest(web.url, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).not.toContain('not to be served');
      expect(res.body.toString(), path).not.toContain('"schema_version"');
    }
  });
});
