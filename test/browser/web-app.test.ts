import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsToRows } from '../../adapters/tabular/records.js';
import { parseTabularSpec } from '../../adapters/tabular/tabular-spec.js';
import type { ClinferServer } from '../../runtime/server.js';
import { errorText, launchChromium, type BrowserSession } from '../../tools/browser/chromium.js';
import { maxAbsDiff } from '../helpers/golden.js';
import { DEMO_MODELS, ROOT, startTestServer } from '../helpers/server.js';
import { ensureAppBuilt } from '../../tools/browser/build-app.js';
import { maxNumberDiff, median } from './compare.js';
import { startHostPage, type HostPage } from './host-page.js';
import { dicomFixtures, HEART_RECORDS, imageFixtures, readDicomFixture, type ImageFixture } from './image-fixtures.js';
import { NodeReference } from './reference.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

const XRAY = 'chest-xray-pneumonia';
const HEART = 'heart-disease-risk';
const ARTIFACTS = join(ROOT, 'test/browser/artifacts');
const TOLERANCE = 1e-5;

/** Calls window.clinfer in the page (the page's API; the test's tsconfig has no DOM types). */
const pagePredict = (page: Page, model: string, input: number[] | Record<string, unknown>, language?: string) =>
  page.evaluate(async ({ model, input, language }) => {
    const api = (globalThis as any).clinfer;
    return api.predict(model, Array.isArray(input) ? new Uint8Array(input).buffer : input, language ? { language } : {});
  }, { model, input, language });

/** The same, with a refusal as {code, message} instead of a thrown error. */
const pagePredictOrRefusal = (page: Page, model: string, input: number[], language?: string) =>
  page.evaluate(async ({ model, input, language }) => {
    const api = (globalThis as any).clinfer;
    return api.predict(model, new Uint8Array(input).buffer, language ? { language } : {}).catch((e: any) => ({ refused: { code: e.code, message: e.message } }));
  }, { model, input, language });

const pageRuntime = (page: Page) => page.evaluate(async () => ({ ...(await (globalThis as any).clinfer.runtime()), isolated: (globalThis as any).crossOriginIsolated as boolean }));

async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as any).clinfer !== undefined);
}

async function serverPredict(server: ClinferServer, model: string, body: Buffer | string, contentType: string, language: string) {
  const res = await fetch(`${server.url}/v1/models/${model}/predict`, { method: 'POST', headers: { 'content-type': contentType, 'accept-language': language }, body });
  return { status: res.status, json: (await res.json()) as any };
}

describe('the web app in Chromium', { timeout: 180_000 }, () => {
  let server: ClinferServer;
  let serverNotIsolated: ClinferServer;
  let web: RecordingProxy;
  let webNotIsolated: RecordingProxy;
  let host: HostPage;
  let browser: BrowserSession;
  let fixtures: ImageFixture[];
  let reference: NodeReference;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    await ensureAppBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    [host, fixtures, reference] = await Promise.all([startHostPage(), imageFixtures(), NodeReference.open(XRAY)]);
    fixtures.push(...dicomFixtures());
    // The host page's origin may frame the app; a second server serves it without COOP/COEP.
    [server, serverNotIsolated] = await Promise.all([
      startTestServer(DEMO_MODELS, { workers: 1, webAppFrameAncestors: [host.origin] }),
      startTestServer(DEMO_MODELS, { workers: 1, webAppCrossOriginIsolation: false }),
    ]);
    [web, webNotIsolated] = await Promise.all([startRecordingProxy(server), startRecordingProxy(serverNotIsolated)]);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    writeFileSync(join(ARTIFACTS, 'figures.json'), JSON.stringify(figures, null, 2));
    console.log('web app figures', JSON.stringify(figures, null, 1));
    await browser?.close();
    await Promise.all([web?.close(), webNotIsolated?.close(), host?.close(), reference?.close()]);
    await Promise.all([server?.close(), serverNotIsolated?.close()]);
  });

  it('shows an uploaded X-ray as the model sees it with per-class scores, and a screenshot is saved (cold and warm timings)', async () => {
    const { page } = browser;
    const png = fixtures.find((f) => f.name === 'gray-64.png')!;
    const timeToResult = async () => {
      const started = Date.now();
      await openApp(page, `${web.url}/app/?model=${XRAY}`);
      await page.locator('#file-input').setInputFiles({ name: png.name, mimeType: png.mediaType, buffer: png.bytes });
      await page.locator('#result-label').waitFor();
      return Date.now() - started;
    };
    figures.openToFirstResultColdMs = await timeToResult();
    const worker = await page.evaluate(() => Promise.race([(globalThis as any).navigator.serviceWorker.ready.then(() => 'ready'), new Promise((r) => setTimeout(() => r('none'), 10_000))]));
    expect(worker, 'the service worker is installed').toBe('ready');
    figures.openToFirstResultWarmMs = await timeToResult();
    expect(await page.evaluate(() => Boolean((globalThis as any).navigator.serviceWorker.controller)), 'the service worker controls the reloaded page').toBe(true);
    await expect.poll(() => page.locator('#result-label').textContent()).toMatch(/(No pneumonia|Pneumonia) \d+\.\d %/);
    expect(await page.locator('#result .scores li').count()).toBe(2);
    expect(await page.locator('#result-regulatory').textContent()).toBe('Not a medical device: research and demonstration use only, not for diagnostic use');
    expect(await page.locator('canvas.model-view').evaluate((c: any) => [c.width, c.height])).toEqual([28, 28]);
    await expect.poll(() => page.locator('#model-card').textContent()).toContain('NOT a medical device');
    expect(await page.locator('#model-card').textContent()).toContain('ROC AUC 0.9643');
    await page.locator('#language').selectOption('de');
    await expect.poll(() => page.locator('#result-label').textContent()).toMatch(/(Keine Pneumonie|Pneumonie) \d+,\d %/);
    expect(await page.locator('h1').textContent()).toBe('clinfer: Inferenz im Browser');
    expect(JSON.parse((await page.locator('#result-json').textContent())!).language).toBe('de');
    await page.locator('#language').selectOption('en');
    await page.locator('#result-label').filter({ hasText: /No pneumonia|Pneumonia/ }).waitFor();
    const shot = join(ARTIFACTS, 'result-image.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1000);
  });

  it('feeds the model exactly the server decode and preprocessing, and scores as onnxruntime-node on that tensor', async () => {
    const { page } = browser;
    await openApp(page, `${web.url}/app/?model=${XRAY}`);
    const agreement: Record<string, { tensorMaxDiff: number; scoreMaxDiff: number } | string> = {};
    for (const fixture of fixtures) {
      const format = fixture.mediaType === 'image/png' ? 'png' : fixture.mediaType === 'image/jpeg' ? 'jpeg' : 'dicom';
      const inPage = await page.evaluate(async (bytes) => (globalThis as any).clinfer.preprocess('chest-xray-pneumonia', new Uint8Array(bytes).buffer), [...fixture.bytes]);
      // The chest model's input_scope refuses what is not a paediatric chest radiograph (CT, MR...): the
      // tensor still compares; the scores only where there are some.
      const answer = await pagePredictOrRefusal(page, XRAY, [...fixture.bytes]);
      const inNode = await reference.tensor(fixture.bytes, format).catch((error: Error) => error);
      if (inNode instanceof Error) {
        agreement[fixture.name] = `the server's decode failed: ${inNode.message}`;
        expect.soft(inNode.message, `${fixture.name}: the server's decode`).toBe('');
        continue;
      }
      expect.soft(inPage.shape, fixture.name).toEqual(inNode.shape);
      const tensorMaxDiff = maxAbsDiff(inPage.data, inNode.data);
      if (answer.refused) {
        agreement[fixture.name] = { tensorMaxDiff, refused: answer.refused.code } as never;
        expect.soft(answer.refused.code, `${fixture.name}: refusal`).toBe('OUT_OF_SCOPE');
        continue;
      }
      const nodeScores = await reference.scores(inNode);
      const scoreMaxDiff = maxAbsDiff(answer.predictions[0].scores.map((s: { score: number }) => s.score), nodeScores);
      agreement[fixture.name] = { tensorMaxDiff, scoreMaxDiff };
      expect.soft(tensorMaxDiff, `${fixture.name}: tensor`).toBe(0);
      expect.soft(scoreMaxDiff, `${fixture.name}: scores`).toBeLessThanOrEqual(TOLERANCE);
    }
    figures.imageAgreementVsNode = agreement;
  });

  it("answers an image with the server's /v1 predict JSON (scores within 1e-5)", async () => {
    const { page } = browser;
    await openApp(page, `${web.url}/app/?model=${XRAY}`);
    const diffs: Record<string, number | string> = {};
    for (const fixture of fixtures) {
      for (const language of fixture.mediaType === 'application/dicom' ? ['en'] : ['en', 'de']) {
        const fromServer = await serverPredict(server, XRAY, fixture.bytes, fixture.mediaType, language);
        const inPage = await pagePredictOrRefusal(page, XRAY, [...fixture.bytes], language);
        if (fromServer.status !== 200) {
          // Refused by the server (out of the model's input scope): the page refuses alike, word for word.
          diffs[`${fixture.name} ${language}`] = `both refuse: ${fromServer.json.code}`;
          expect.soft(fromServer.status, `${fixture.name}: server ${JSON.stringify(fromServer.json).slice(0, 200)}`).toBe(422);
          expect.soft(inPage.refused, fixture.name).toEqual({ code: fromServer.json.code, message: fromServer.json.error });
          continue;
        }
        const diff = maxNumberDiff(inPage, fromServer.json);
        diffs[`${fixture.name} ${language}`] = diff;
        expect.soft(diff, `${fixture.name} ${language}`).toBeLessThanOrEqual(TOLERANCE);
      }
    }
    figures.imageAgreementVsServer = diffs;
  });

  it("answers records with the server's /v1 predict JSON, and as onnxruntime-node on the same rows", async () => {
    const { page } = browser;
    await openApp(page, `${web.url}/app/?model=${HEART}`);
    const session = await ort.InferenceSession.create(join(DEMO_MODELS, HEART, '1/model.onnx'));
    const bundle = JSON.parse((await import('node:fs')).readFileSync(join(DEMO_MODELS, HEART, '1/bundle.json'), 'utf8'));
    const spec = parseTabularSpec(bundle.preprocessing, bundle.inputs[0]);
    const diffs: Record<string, number> = {};
    for (const language of ['en', 'fr']) {
      const fromServer = await serverPredict(server, HEART, JSON.stringify({ records: HEART_RECORDS }), 'application/json', language);
      expect(fromServer.status).toBe(200);
      const inPage = await pagePredict(page, HEART, { records: HEART_RECORDS }, language);
      diffs[`server ${language}`] = maxNumberDiff(inPage, fromServer.json);
      expect(diffs[`server ${language}`]).toBeLessThanOrEqual(TOLERANCE);
      expect(inPage.predictions[1].label.text).toBe(fromServer.json.predictions[1].label.text);
    }
    const rows = recordsToRows(spec, { records: HEART_RECORDS });
    const data = new Float32Array(rows.flatMap((r) => r.values));
    const out = await session.run({ features: new ort.Tensor('float32', data, [rows.length, 13]) });
    const inPage = await pagePredict(page, HEART, { records: HEART_RECORDS });
    diffs.node = maxAbsDiff(inPage.predictions.map((p: { probability: number }) => p.probability), out.probability!.data as Float32Array);
    expect(diffs.node).toBeLessThanOrEqual(TOLERANCE);
    figures.tabularAgreement = diffs;
    await session.release();
  });

  it('fills the generated form and shows the probability, the main contributions and what was imputed', async () => {
    const { page } = browser;
    await openApp(page, `${web.url}/app/?model=${HEART}&lang=fr`);
    await page.locator('#feature-age').fill('63');
    await page.locator('#feature-sex').selectOption('male');
    await page.locator('#feature-cp').selectOption('typical_angina');
    await page.locator('#feature-trestbps').fill('145');
    await page.locator('#feature-chol').fill('233');
    await page.locator('#predict-button').click();
    await page.locator('#result-label').waitFor();
    expect(await page.locator('#result-label').textContent()).toMatch(/Probabilité \d+,\d %/);
    expect(await page.locator('#result').textContent()).toContain('Manquant, imputé par le modèle');
    expect(await page.locator('#feature-age').inputValue(), 'the typed values stay in the form').toBe('63');
    expect(await page.locator('#tabular-form').textContent()).toContain('Cholestérol total');
    const shown = JSON.parse((await page.locator('#result-json').textContent())!);
    const direct = await pagePredict(page, HEART, { age: 63, sex: 'male', cp: 'typical_angina', trestbps: 145, chol: 233 }, 'fr');
    expect(shown).toEqual(direct);
    await page.screenshot({ path: join(ARTIFACTS, 'result-tabular.png'), fullPage: true });
    expect(statSync(join(ARTIFACTS, 'result-tabular.png')).size).toBeGreaterThan(1000);
  });

  it('says clearly what is wrong with a broken file', async () => {
    const { page } = browser;
    await openApp(page, `${web.url}/app/?model=${XRAY}&lang=en`);
    await page.locator('#file-input').waitFor({ state: 'attached' });
    const good = fixtures.find((f) => f.name === 'gray-28.png')!.bytes;
    const cases: [string, Buffer, RegExp][] = [
      ['truncated.png', good.subarray(0, 60), /not a readable PNG image/],
      ['random.bin', Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 97 + 13) % 256)), /not a PNG, JPEG or DICOM image/],
      ['broken.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 7)]), /not a readable JPEG image|JPEG image holds no complete picture/],
      ['empty.png', Buffer.alloc(0), /the file is empty/],
      ['report.dcm', readDicomFixture('reportsi.dcm'), /no pixel data: this is an SR document/],
      ['truncated.dcm', readDicomFixture('MR_truncated.dcm'), /PixelData holds 8130 bytes, 8192 expected/],
    ];
    for (const [name, bytes, message] of cases) {
      await page.locator('#file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
      await expect.poll(() => page.locator('#error').textContent(), { timeout: 15_000 }).toMatch(message);
      expect(await errorText(page)).toMatch(/^Error: /);
    }
    const viaApi = await page.evaluate(async () => (globalThis as any).clinfer.predict('chest-xray-pneumonia', new Uint8Array([1, 2, 3]).buffer).catch((e: any) => ({ code: e.code, message: e.message })));
    expect(viaApi.code).toBe('INVALID_IMAGE');
  });

  it('runs cross-origin isolated on several threads, and on one thread without the headers, with the same scores', async () => {
    const { page } = browser;
    const png = [...fixtures.find((f) => f.name === 'rgb-40x30.png')!.bytes];
    await openApp(page, `${web.url}/app/?model=${XRAY}`);
    const isolated = await pageRuntime(page);
    const a = await pagePredict(page, XRAY, png);
    const h1 = await pagePredict(page, HEART, HEART_RECORDS[0]!);
    await openApp(page, `${webNotIsolated.url}/app/?model=${XRAY}`);
    const single = await pageRuntime(page);
    const b = await pagePredict(page, XRAY, png);
    const h2 = await pagePredict(page, HEART, HEART_RECORDS[0]!);
    expect(isolated).toMatchObject({ isolated: true, crossOriginIsolated: true, executionProvider: 'wasm' });
    expect(isolated.numThreads).toBeGreaterThan(1);
    expect(single).toMatchObject({ isolated: false, crossOriginIsolated: false, numThreads: 1 });
    expect(maxNumberDiff(a, b)).toBeLessThanOrEqual(1e-6);
    expect(maxNumberDiff(h1, h2)).toBeLessThanOrEqual(1e-6);
    figures.threads = { isolated: isolated.numThreads, notIsolated: single.numThreads };
  });

  it('answers window.clinfer.predict and postMessage from a host page of another origin with the same JSON', async () => {
    const { page, context } = browser;
    const png = [...fixtures.find((f) => f.name === 'gray-64.png')!.bytes];
    await openApp(page, `${web.url}/app/`);
    const direct = await pagePredict(page, XRAY, png);
    const directRecord = await pagePredict(page, HEART, HEART_RECORDS[1]!);
    const hostPage = await context.newPage();
    try {
      await hostPage.goto(host.url(`${web.url}/app/?model=${XRAY}`));
      await hostPage.evaluate(() => (globalThis as any).appReady);
      const viaMessage = await hostPage.evaluate(async (bytes) => (globalThis as any).hostPredict('chest-xray-pneumonia', new Uint8Array(bytes).buffer), png);
      expect(viaMessage).toEqual({ type: 'clinfer.result', id: 'req-1', result: direct });
      const blob = await hostPage.evaluate(async (bytes) => (globalThis as any).hostPredict('chest-xray-pneumonia', new Blob([new Uint8Array(bytes)], { type: 'image/png' })), png);
      expect(blob.result).toEqual(direct);
      const record = await hostPage.evaluate(async (r) => (globalThis as any).hostPredict('heart-disease-risk', r), HEART_RECORDS[1]!);
      expect(record.result).toEqual(directRecord);
      const failure = await hostPage.evaluate(async () => (globalThis as any).hostPredict('no-such-model', new Uint8Array([1]).buffer));
      expect(failure).toMatchObject({ type: 'clinfer.error', error: { code: 'MODEL_NOT_FOUND' } });
      expect(failure.error.message).toContain('no-such-model');
    } finally {
      await hostPage.close();
    }
  });

  it('cannot be framed by an origin that frame-ancestors does not list', async () => {
    const other = await startHostPage();
    const hostPage = await browser.context.newPage();
    try {
      await hostPage.goto(other.url(`${web.url}/app/?model=${XRAY}`));
      const ready = await hostPage.evaluate(() => Promise.race([(globalThis as any).appReady, new Promise((r) => setTimeout(() => r(false), 3000))]));
      expect(ready).toBe(false);
    } finally {
      await hostPage.close();
      await other.close();
    }
  });

  it('sends nothing but GETs for the app, metadata and bundle files, and the bodiless model index POST', () => {
    const appOrigins = [web.url, webNotIsolated.url];
    const allowedPath = /^\/(app\/.*|app|v2\/models\/[^/?]+|v1\/models\/[^/]+\/versions\/\d+\/files\/(bundle\.json|model\.onnx)\?digest=[0-9a-f]{16}|v2\/repository\/index)$/;
    const patientBytes = fixtures.map((f) => f.bytes).filter((b) => b.length > 16);
    expect(browser.requests.length).toBeGreaterThan(10);
    for (const r of browser.requests) {
      const url = new URL(r.url);
      if (url.pathname === '/host.html' || url.pathname === '/favicon.ico' || url.protocol === 'data:' || url.protocol === 'blob:') {
        expect(r.method).toBe('GET');
        continue;
      }
      expect(appOrigins, r.url).toContain(url.origin);
      expect(url.pathname + url.search, r.url).toMatch(allowedPath);
      if (r.method === 'POST') expect(url.pathname).toBe('/v2/repository/index');
      else expect(r.method, r.url).toBe('GET');
      expect(r.body?.length ?? 0, `${r.method} ${r.url} has a body`).toBe(0);
      for (const bytes of patientBytes) expect(r.body?.includes(bytes) ?? false).toBe(false);
    }
    for (const seen of [...web.seen, ...webNotIsolated.seen]) {
      expect(['GET', 'HEAD', 'POST'], seen.path).toContain(seen.method);
      expect(seen.path, seen.path).toMatch(allowedPath);
    }
  });

  it('runs as fast as onnxruntime-node, give or take (figures only, not asserted)', async () => {
    const { page } = browser;
    await openApp(page, `${web.url}/app/?model=${XRAY}`);
    const png = [...fixtures.find((f) => f.name === 'gray-28.png')!.bytes];
    const browserTimes = await page.evaluate(async ({ png, record }) => {
      const api = (globalThis as any).clinfer;
      const image: number[] = [];
      const tabular: number[] = [];
      for (let i = 0; i < 21; i++) {
        await api.predict('chest-xray-pneumonia', new Uint8Array(png).buffer);
        image.push(api.lastTimings.inferenceMs);
        await api.predict('heart-disease-risk', record);
        tabular.push(api.lastTimings.inferenceMs);
      }
      return { image, tabular };
    }, { png, record: HEART_RECORDS[0]! });
    const tensor = await page.evaluate(async (bytes) => (globalThis as any).clinfer.preprocess('chest-xray-pneumonia', new Uint8Array(bytes).buffer), png);
    const nodeImage = await reference.timeRun({ data: Float32Array.from(tensor.data), shape: tensor.shape }, 21);
    figures.inferenceMs = { browserXray: median(browserTimes.image), nodeXray: nodeImage, browserHeart: median(browserTimes.tabular) };
    expect(browserTimes.image.length).toBe(21);
  });
});
