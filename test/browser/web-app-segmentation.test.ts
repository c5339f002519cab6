import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { launchChromium, type BrowserSession } from '../../tools/browser/chromium.js';
import { brightRegionsRepository } from '../helpers/segmentation-bundle.js';
import { ROOT, startTestServer } from '../helpers/server.js';
import { ensureAppBuilt } from '../../tools/browser/build-app.js';

/** A segmentation bundle in the page: the same mask as the server's answer, painted over the model's view. */
const ARTIFACTS = join(ROOT, 'test/browser/artifacts');
const repo = brightRegionsRepository({ labelText: { de: 'Heller Bereich' } });

describe('a segmentation bundle in the web app', { timeout: 120_000 }, () => {
  let server: ClinferServer;
  let browser: BrowserSession;
  let png: Buffer;

  beforeAll(async () => {
    await ensureAppBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startTestServer(repo.root, { workers: 1 });
    browser = await launchChromium();
    // 48x40: a bright disc on a dark background.
    const pixels = Buffer.alloc(48 * 40);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 48; x++) pixels[y * 48 + x] = Math.hypot(x - 20, y - 18) < 11 ? 220 : 30;
    png = await sharp(pixels, { raw: { width: 48, height: 40, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    repo.remove();
  });

  it('answers with the server\'s mask and class shares, and paints the mask over the image', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/app/?model=bright-regions`);
    await page.waitForFunction(() => (globalThis as any).clinfer !== undefined);
    const inPage = await page.evaluate(async (bytes) => (globalThis as any).clinfer.predict('bright-regions', new Uint8Array(bytes).buffer, { language: 'de' }), [...png]);
    const served = (await (await fetch(`${server.url}/v1/models/bright-regions/predict`, { method: 'POST', body: png, headers: { 'content-type': 'image/png', 'accept-language': 'de' } })).json()) as any;
    expect(inPage).toEqual(served);
    expect(served.predictions[0].mask).toMatchObject({ encoding: 'rle', width: 48, height: 40 });
    expect(served.predictions[0].segments[1]).toMatchObject({ id: 'bright', text: 'Heller Bereich' });
    expect(served.predictions[0].segments[1].fraction).toBeGreaterThan(0.1);

    await page.locator('#file-input').setInputFiles({ name: 'disc.png', mimeType: 'image/png', buffer: png });
    await page.locator('canvas.model-view.with-mask').waitFor();
    await expect.poll(() => page.locator('#result-label').textContent()).toMatch(/Bright region \d+\.\d %/);
    // The disc's centre is painted (red mixed in), a corner is not.
    const [centre, corner] = await page.locator('canvas.model-view').evaluate((c: any): number[][] => {
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const at = (x: number, y: number): number[] => Array.from(data.slice(4 * (y * c.width + x), 4 * (y * c.width + x) + 3));
      return [at(13, 14), at(31, 31)];
    });
    expect(centre![0]).toBeGreaterThan(centre![1]! + 40);
    expect(corner![0]).toBe(corner![1]);
    const shot = join(ARTIFACTS, 'result-segmentation.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1000);
  });
});
