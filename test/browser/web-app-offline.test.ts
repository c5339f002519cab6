import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { errorText, launchChromium, type BrowserSession } from '../../tools/browser/chromium.js';
import { DEMO_MODELS, startTestServer, TempRepository } from '../helpers/server.js';
import { ensureAppBuilt } from '../../tools/browser/build-app.js';
import { HEART_RECORDS, imageFixtures } from './image-fixtures.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

const XRAY = 'chest-xray-pneumonia';
const HEART = 'heart-disease-risk';

const uploadAndRead = async (page: Page, png: Buffer) => {
  await page.locator('#file-input').setInputFiles({ name: 'study.png', mimeType: 'image/png', buffer: png });
  await page.locator('#result-json').waitFor({ state: 'attached' });
  return JSON.parse((await page.locator('#result-json').textContent())!);
};

const cachedModelUrls = (page: Page, model: string) => page.evaluate(async (model) => {
  const cache = await (globalThis as any).caches.open('clinfer-bundles');
  return (await cache.keys()).map((r: { url: string }) => r.url).filter((u: string) => u.includes(`/v1/models/${model}/`) && u.includes('/files/model.onnx'));
}, model);

describe('the web app offline, and its check of the model bytes', { timeout: 180_000 }, () => {
  const repo = new TempRepository();
  let server: ClinferServer;
  let web: RecordingProxy;
  let browser: BrowserSession;
  let png: Buffer;

  beforeAll(async () => {
    await ensureAppBuilt();
    repo.addDemo(XRAY).addDemo(HEART);
    // A copy of the X-ray model under another name, whose model file is damaged once the server has loaded it.
    const bundle = JSON.parse(readFileSync(join(DEMO_MODELS, XRAY, '1/bundle.json'), 'utf8'));
    repo.add('damaged-xray', '1', { 'bundle.json': JSON.stringify({ ...bundle, name: 'damaged-xray' }), 'model.onnx': { copy: join(DEMO_MODELS, XRAY, '1/model.onnx') } });
    server = await startTestServer(repo.root, { workers: 1 });
    web = await startRecordingProxy(server);
    browser = await launchChromium();
    png = (await imageFixtures()).find((f) => f.name === 'gray-64.png')!.bytes;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await server?.close();
    repo.remove();
  });

  it('after one visit, predicts with the network off: app, model list, metadata and bundle from this device', async () => {
    const { page, context } = browser;
    await page.goto(`${web.url}/app/?model=${XRAY}`);
    const online = await uploadAndRead(page, png);
    const onlineRecord = await page.evaluate(async (r) => (globalThis as any).clinfer.predict('heart-disease-risk', r), HEART_RECORDS[0]!);
    await page.waitForFunction(() => (globalThis as any).navigator.serviceWorker.controller !== null);
    const reachedServer = web.seen.length;

    await context.setOffline(true);
    try {
      await page.reload();
      await page.locator('#offline').waitFor();
      // The server lists damaged-xray too, but it was never opened here: offline it is not offered.
      expect(await page.evaluate(() => (globalThis as any).clinfer.models()), 'offline, only the models this device holds').toEqual([XRAY, HEART]);
      expect(await page.locator('#model-select option').allTextContents()).not.toContain('damaged-xray');
      const offline = await uploadAndRead(page, png);
      expect(offline).toEqual(online);
      const offlineRecord = await page.evaluate(async (r) => (globalThis as any).clinfer.predict('heart-disease-risk', r), HEART_RECORDS[0]!);
      expect(offlineRecord).toEqual(onlineRecord);
      expect(await page.locator('#model-select option:checked').textContent()).toBe(XRAY);
      expect(web.seen.slice(reachedServer), 'no request reached the server while offline').toEqual([]);
    } finally {
      await context.setOffline(false);
    }
  });

  it('refuses a model file that does not match the SHA-256 in its bundle.json, and keeps no copy of it', async () => {
    const { page } = browser;
    const modelFile = join(repo.root, 'damaged-xray/1/model.onnx');
    const bytes = readFileSync(modelFile);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    writeFileSync(modelFile, bytes);
    await page.goto(`${web.url}/app/?model=damaged-xray`);
    expect(await errorText(page)).toMatch(/the model file of 'damaged-xray' version 1 does not match the SHA-256 in its bundle\.json .* It was not run/);
    expect(await page.locator('#file-input').count()).toBe(0);
    expect(await cachedModelUrls(page, 'damaged-xray')).toEqual([]);
    const viaApi = await page.evaluate(async () => (globalThis as any).clinfer.predict('damaged-xray', new Uint8Array([137, 80, 78, 71]).buffer).catch((e: any) => e.code));
    expect(viaApi).toBe('BUNDLE_DIGEST_MISMATCH');
  });

  it('drops a cached model copy that was altered on this device, and fetches it afresh on the next visit', async () => {
    const { page } = browser;
    await page.goto(`${web.url}/app/?model=${XRAY}`);
    await page.locator('#file-input').waitFor({ state: 'attached' });
    const [url] = await cachedModelUrls(page, XRAY);
    expect(url).toContain(`/v1/models/${XRAY}/versions/1/files/model.onnx?digest=`);
    await page.evaluate(async (u) => {
      const cache = await (globalThis as any).caches.open('clinfer-bundles');
      await cache.put(u, new (globalThis as any).Response(new Uint8Array([1, 2, 3, 4])));
    }, url);
    await page.reload();
    expect(await errorText(page)).toContain(`the model file of '${XRAY}' version 1 does not match the SHA-256`);
    expect(await cachedModelUrls(page, XRAY)).toEqual([]);
    await page.reload();
    await uploadAndRead(page, png);
    expect(await cachedModelUrls(page, XRAY)).toEqual([url]);
  });
});
