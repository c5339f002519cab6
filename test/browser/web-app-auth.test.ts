import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { errorText, launchChromium, type BrowserSession } from '../../tools/browser/chromium.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';
import { ensureAppBuilt } from '../../tools/browser/build-app.js';
import { HEART_RECORDS } from './image-fixtures.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const KEYS = { infer: 'clk_web_app_infer_key', admin: 'clk_web_app_admin_key' };
const apiKeys = [
  { name: 'clinician', sha256: sha(KEYS.infer), scopes: ['infer' as const] },
  { name: 'operator', sha256: sha(KEYS.admin), scopes: ['infer' as const, 'admin' as const] },
];

describe('the web app with authentication on', { timeout: 120_000 }, () => {
  let server: ClinferServer;
  let web: RecordingProxy;
  let browser: BrowserSession;

  beforeAll(async () => {
    await ensureAppBuilt();
    server = await startTestServer(DEMO_MODELS, { workers: 1, apiKeys });
    web = await startRecordingProxy(server);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await server?.close();
  });

  it('asks for a token, keeps the pasted one for the tab, and sends it only to its own origin', async () => {
    const { page } = browser;
    await page.goto(`${web.url}/app/?model=heart-disease-risk`);
    expect(await errorText(page)).toContain('the server needs an access token');
    await page.locator('details.token summary').click();
    await page.locator('#token-input').fill(KEYS.infer);
    await page.locator('#token-save').click();
    // An infer token may list the models (POST /v2/repository/index takes infer or admin); ?model= preselects one.
    await page.locator('#feature-age').waitFor();
    expect(await page.locator('#model-select').inputValue()).toBe('heart-disease-risk');
    const answer = await page.evaluate(async (r) => (globalThis as any).clinfer.predict('heart-disease-risk', r), HEART_RECORDS[0]!);
    expect(answer.predictions[0].probability).toBeGreaterThan(0);
    await page.reload();
    await page.locator('#feature-age').waitFor();
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('clinfer.token'))).toBe(KEYS.infer);

    const carried = browser.requests.filter((r) => r.url.startsWith('http') && r.headers.authorization);
    expect(carried.length).toBeGreaterThan(2);
    for (const r of carried) expect(new URL(r.url).origin, r.url).toBe(web.url);
  });

  it('lists the models for a token with the admin scope', async () => {
    const { page } = browser;
    await page.evaluate((key) => (globalThis as any).sessionStorage.setItem('clinfer.token', key), KEYS.admin);
    await page.goto(`${web.url}/app/`);
    await page.locator('#model-select').waitFor();
    expect(await page.locator('#model-select option').allTextContents()).toEqual(expect.arrayContaining(['chest-xray-pneumonia', 'heart-disease-risk']));
  });
});
