import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { launchChromium, type BrowserSession } from '../../tools/browser/chromium.js';
import { startTestServer, TempRepository } from '../helpers/server.js';
import { APP_DIST, ensureAppBuilt } from '../../tools/browser/build-app.js';
import { imageFixtures } from './image-fixtures.js';
import { startTransferMeter, type TransferMeter } from '../../tools/browser/transfer-meter.js';

const XRAY = 'chest-xray-pneumonia';
/** Issue 16's goal for a cold load of the app (16 MB before compression and without WebGPU by default). */
const COLD_LOAD_BUDGET = 5_000_000;

function get(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
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

describe('what the web app downloads: precompressed files, no WebGPU runtime unless asked', { timeout: 180_000 }, () => {
  const repo = new TempRepository();
  let server: ClinferServer;
  let meter: TransferMeter;
  let browser: BrowserSession;
  let ortDir: string;

  beforeAll(async () => {
    await ensureAppBuilt();
    repo.addDemo(XRAY);
    server = await startTestServer(repo.root, { workers: 1 });
    meter = await startTransferMeter(server);
    browser = await launchChromium({ timeoutMs: 60_000 });
    ortDir = `assets/${readdirSync(join(APP_DIST, 'assets')).find((name) => name.startsWith('ort-'))!}`;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await meter?.close();
    await server?.close();
    repo.remove();
  });

  it(`a cold load to the first result, service worker precache included, stays under ${COLD_LOAD_BUDGET / 1e6} MB on the wire`, async () => {
    const { page } = browser;
    const png = (await imageFixtures()).find((f) => f.name === 'gray-64.png')!.bytes;
    await page.goto(`${meter.url}/app/?model=${XRAY}`);
    await page.locator('#file-input').setInputFiles({ name: 'study.png', mimeType: 'image/png', buffer: png });
    await page.locator('#result-label').waitFor();
    await page.evaluate(() => (globalThis as any).navigator.serviceWorker.ready);

    const { bytes, byEncoding } = meter.totals();
    const wasm = meter.answers.filter((a) => a.path.endsWith('/ort-wasm-simd-threaded.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    for (const answer of wasm) expect(answer.encoding).not.toBe('identity');
    // The WebGPU build of ONNX Runtime (27 MB) is fetched only when asked for (?ep=webgpu); its 18 KB
    // JavaScript entry is part of the precached shell.
    expect(meter.answers.filter((a) => a.path.includes('asyncify'))).toEqual([]);
    // Chromium accepts brotli on loopback, so that is what it got for ONNX Runtime's loader and binary.
    expect(meter.answers.filter((a) => /\/ort-wasm-simd-threaded\.(?:wasm|mjs)$/.test(a.path)).map((a) => a.encoding)).toEqual(expect.arrayContaining(['br']));
    // The DICOM codecs load by transfer syntax: a PNG made the page fetch none of them (the service worker
    // precaches them, compressed, so that a DICOM of any transfer syntax decodes offline too).
    const codec = /\/(?:charlswasm|libjpegturbowasm|openjpegwasm|openjphjs)[^/]*$/;
    expect(browser.requests.filter((r) => !r.fromServiceWorker && codec.test(new URL(r.url).pathname)).map((r) => r.url)).toEqual([]);
    expect(browser.requests.filter((r) => r.fromServiceWorker && codec.test(new URL(r.url).pathname)).length).toBeGreaterThan(0);
    expect((byEncoding.br ?? 0) + (byEncoding.gzip ?? 0)).toBeGreaterThan(bytes / 2);
    expect(bytes).toBeLessThan(COLD_LOAD_BUDGET);
  });

  it('asks for WebGPU only with ?ep=webgpu, and falls back to WASM without fetching the WebGPU build where no adapter is found', async () => {
    const page = await browser.context.newPage();
    try {
      const before = meter.answers.length;
      await page.goto(`${meter.url}/app/?ep=webgpu`);
      await page.waitForFunction(() => (globalThis as any).clinfer !== undefined);
      // Headless Chromium here runs with --disable-gpu: navigator.gpu offers no adapter.
      const info = await page.evaluate(async () => (globalThis as any).clinfer.runtime());
      expect(info.executionProvider).toBe('wasm');
      expect(meter.answers.slice(before).filter((a) => a.path.includes('asyncify'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('serves a .wasm and an .mjs as brotli when accepted, gzip when only gzip is, and the file itself otherwise', async () => {
    for (const [file, type] of [['ort-wasm-simd-threaded.wasm', 'application/wasm'], ['ort-wasm-simd-threaded.mjs', 'text/javascript']] as const) {
      const path = `/app/${ortDir}/${file}`;
      const original = readFileSync(join(APP_DIST, ortDir, file));

      const br = await get(server.url, path, { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
      expect(br.status).toBe(200);
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['content-type']).toContain(type);
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(br.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(br.headers['content-security-policy']).toContain("default-src 'self'");
      expect(Number(br.headers['content-length'])).toBe(br.body.length);
      expect(br.body.length).toBeLessThan(original.length / 2);
      expect(brotliDecompressSync(br.body).equals(original)).toBe(true);

      const gz = await get(server.url, path, { 'Accept-Encoding': 'br;q=0, gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers['content-type']).toContain(type);
      expect(gunzipSync(gz.body).equals(original)).toBe(true);

      const plain = await get(server.url, path, {});
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toMatch(/accept-encoding/i);
      expect(plain.body.equals(original)).toBe(true);

      const head = await get(server.url, path, { 'Accept-Encoding': 'br' }, 'HEAD');
      expect(head.headers['content-encoding']).toBe('br');
      expect(Number(head.headers['content-length'])).toBe(br.body.length);
      // A cache keeps one entry per encoding: the two representations have different validators.
      expect(head.headers.etag).toBeDefined();
      expect(head.headers.etag).not.toBe(plain.headers.etag);
    }
  });

  it('a compressed copy is never sent for a path outside the build, and a missing file is still a 404', async () => {
    expect((await get(server.url, '/app/assets/no-such-file.js', { 'Accept-Encoding': 'br' })).status).toBe(404);
    const escaped = await get(server.url, '/app/..%2f..%2fpackage.json', { 'Accept-Encoding': 'br, gzip' });
    expect(escaped.status).toBeGreaterThanOrEqual(400);
    expect(escaped.headers['content-encoding']).toBeUndefined();
  });
});
