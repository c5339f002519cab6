import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FileChooser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { chestRadiograph } from '../fixtures/dicom-scope/chest.js';
import { launchChromium, type BrowserSession } from '../../tools/browser/chromium.js';
import { DEMO_MODELS, ROOT, startTestServer, TempRepository } from '../helpers/server.js';
import { ensureAppBuilt } from '../../tools/browser/build-app.js';
import { startHostPage, type HostPage } from './host-page.js';
import { readDicomFixture } from './image-fixtures.js';

/**
 * The clinician's app used as a clinician would (issue 17): keyboard only, in English, French and German;
 * axe-core on every state; no English left under fr/de; a DICOM file's header and full image; the MR sent
 * to the chest model refused in words; the empty form asks for data; the one-page printed report; hosts
 * that are cross-origin isolated, and host-realm inputs.
 */
const XRAY = 'chest-xray-pneumonia';
const HEART = 'heart-disease-risk';
const XRAY_WARN = 'chest-xray-warn';
const LANGUAGES = ['en', 'fr', 'de'] as const;
type Lang = (typeof LANGUAGES)[number];
const ARTIFACTS = join(ROOT, 'test/browser/artifacts');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

const CHEST = Buffer.from(chestRadiograph());
const MR = readDicomFixture('MR_small.dcm');

/** Words that are the same in the three languages (names, codes, units, cognates). */
const SAME_IN_EVERY_LANGUAGE = new Set([
  'clinfer', XRAY, HEART, XRAY_WARN, 'English', 'Français', 'Deutsch', 'Description', 'Version', 'Licence', 'Score', 'Date', 'Evaluation',
  'classification', 'Classification', 'mmHg', 'mg/dL', '/min', 'mm', 'CR', 'MR', 'CHEST', 'AP', 'Photometric Interpretation',
]);
/** Numbers, signs, symbols and the units above: no word to translate. */
const isNumberOrSign = (s: string) => !/\p{L}/u.test(s.replace(/mmHg|mg\/dL|\/min|\bmm\b|\bx\b/g, ''));

const RESULT_LABEL: Record<Lang, RegExp> = {
  en: /^(No pneumonia|Pneumonia) \d+\.\d %$/,
  fr: /^(Pas de pneumonie|Pneumonie) \d+,\d %$/,
  de: /^(Keine Pneumonie|Pneumonie) \d+,\d %$/,
};
const OUT_OF_SCOPE: Record<Lang, string> = {
  en: 'This image is outside what the model was made for',
  fr: 'Cette image ne correspond pas à ce pour quoi le modèle a été conçu',
  de: 'Dieses Bild liegt außerhalb dessen, wofür das Modell gemacht ist',
};
const REGULATORY: Record<Lang, string> = {
  en: 'Not a medical device: research and demonstration use only, not for diagnostic use',
  fr: 'Pas un dispositif médical : usage de recherche et de démonstration uniquement, ne pas utiliser pour le diagnostic',
  de: 'Kein Medizinprodukt: nur für Forschung und Demonstration, nicht für die Diagnostik',
};

const activeId = (page: Page) => page.evaluate(() => (globalThis as any).document.activeElement?.id ?? '');

/** Presses Tab (at most 60 times) until the element `id` has the focus: the way a keyboard user gets there. */
async function tabTo(page: Page, id: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if ((await activeId(page)) === id) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`#${id} is not reachable with Tab (focus stays on #${await activeId(page)})`);
}

/**
 * Enter (or Space) on the focused drop zone or file button opens the file chooser; the file is chosen
 * there. The chooser is intercepted by a listener set once per page (see beforeAll): a listener set
 * just before the key press can miss the dialog while Playwright turns interception on.
 */
const choosers = new WeakMap<Page, ((chooser: FileChooser) => void)[]>();
function interceptFileChoosers(page: Page): void {
  if (choosers.has(page)) return;
  choosers.set(page, []);
  page.on('filechooser', (chooser) => choosers.get(page)!.shift()?.(chooser));
}
async function chooseFileWithKeyboard(page: Page, name: string, bytes: Buffer, key = 'Enter'): Promise<void> {
  const chooser = new Promise<FileChooser>((resolve) => choosers.get(page)!.push(resolve));
  await page.keyboard.press(key);
  await (await chooser).setFiles({ name, mimeType: 'application/dicom', buffer: bytes });
}

async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const axe = (globalThis as any).axe;
    const result = await axe.run((globalThis as any).document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v: any) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(' | ')}`);
  }, AXE_TAGS);
}

/** Every text a reader sees or hears: visible text nodes and spoken labels, outside translate="no". */
function readableTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as any).document;
    const out: string[] = [];
    const walker = doc.createTreeWalker(doc.body, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').trim();
      const parent = node.parentElement;
      if (!text || !parent || parent.closest('[translate="no"], [aria-hidden="true"], pre, script, style, option:not(:checked)')) continue;
      if (!parent.checkVisibility({ visibilityProperty: true })) continue;
      out.push(text);
    }
    for (const element of doc.querySelectorAll('[aria-label]')) if (!element.closest('[translate="no"]')) out.push(element.getAttribute('aria-label'));
    return out;
  });
}

describe('the clinician’s web app: keyboard, screen reader, languages, scope, report, embedding', { timeout: 240_000 }, () => {
  const repo = new TempRepository();
  let server: ClinferServer;
  let browser: BrowserSession;
  let isolatedHost: HostPage;
  let credentiallessHost: HostPage;
  const axe: Record<string, string[]> = {};
  const texts: Record<string, Record<Lang, string[]>> = {};
  const figures: Record<string, unknown> = {};

  const check = async (page: Page, state: string, language: Lang) => {
    axe[`${state} ${language}`] = await axeViolations(page);
    (texts[state] ??= {} as Record<Lang, string[]>)[language] = await readableTexts(page);
  };

  beforeAll(async () => {
    await ensureAppBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    repo.addDemo(XRAY).addDemo(HEART);
    // The X-ray model once more, answering out-of-scope images with a warning instead of a refusal.
    const bundle = JSON.parse(readFileSync(join(DEMO_MODELS, XRAY, '1/bundle.json'), 'utf8'));
    repo.add(XRAY_WARN, '1', { 'bundle.json': JSON.stringify({ ...bundle, name: XRAY_WARN, out_of_scope: 'warn' }), 'model.onnx': { copy: join(DEMO_MODELS, XRAY, '1/model.onnx') } });
    [isolatedHost, credentiallessHost] = await Promise.all([
      startHostPage({ headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } }),
      startHostPage({ headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'credentialless' } }),
    ]);
    server = await startTestServer(repo.root, { workers: 1, webAppFrameAncestors: [isolatedHost.origin, credentiallessHost.origin] });
    browser = await launchChromium();
    interceptFileChoosers(browser.page);
    // window.print() opens no dialog under test: it records that it was asked for.
    await browser.context.addInitScript(() => { (globalThis as any).print = () => { (globalThis as any).printed = ((globalThis as any).printed ?? 0) + 1; }; });
  }, 180_000);

  afterAll(async () => {
    writeFileSync(join(ARTIFACTS, 'clinician-figures.json'), JSON.stringify({ ...figures, axe }, null, 2));
    await browser?.close();
    await Promise.all([server?.close(), isolatedHost?.close(), credentiallessHost?.close()]);
    repo.remove();
  });

  for (const language of LANGUAGES) {
    it(`${language}: the start page lists the models with their regulatory status; a model is chosen with the keyboard`, async () => {
      const { page } = browser;
      await page.goto(`${server.url}/app/?lang=${language}`);
      await expect.poll(() => page.locator(`#model-list li[data-model="${XRAY}"] .regulatory`).textContent()).toBe(REGULATORY[language]);
      await check(page, 'start', language);
      await tabTo(page, 'model-select');
      await page.keyboard.press('ArrowDown');
      await page.locator('#drop-zone, #tabular-form').first().waitFor();
      expect(await activeId(page), 'the focus stays on the model list after the model loads').toBe('model-select');
      expect(await page.locator('#model-regulatory').textContent()).toContain(REGULATORY[language]);
    });

    it(`${language}: loads a DICOM file with the keyboard, shows its header and whole image, reads and prints the result`, async () => {
      const { page } = browser;
      await page.goto(`${server.url}/app/?model=${XRAY}&lang=${language}`);
      await page.locator('#drop-zone').waitFor();
      await check(page, 'image ready', language);
      await tabTo(page, 'drop-zone');
      await chooseFileWithKeyboard(page, 'chest.dcm', CHEST);
      await expect.poll(() => activeId(page), { timeout: 30_000 }).toBe('result-heading');
      const label = (await page.locator('#result-label').textContent())!;
      expect(label).toMatch(RESULT_LABEL[language]);
      await expect.poll(() => page.locator('#announcer').textContent()).toContain(label);
      expect(await page.locator('canvas.model-view').getAttribute('aria-label')).toContain(label);
      expect(await page.locator('#result-regulatory').textContent()).toBe(REGULATORY[language]);
      // The header, read in the page: what the radiologist checks.
      await page.locator('#header-modality').waitFor();
      expect(await page.locator('#header-modality').textContent()).toBe('CR');
      expect(await page.locator('#header-body-part').textContent()).toBe('CHEST');
      expect(await page.locator('#header-age').textContent()).toMatch(/^4 (years|ans|Jahre)$/);
      expect(await page.locator('#full-image').evaluate((c: any) => [c.width, c.height])).toEqual([64, 64]);
      // Window/level with the keyboard, on the image itself.
      const width = Number(await page.locator('#window-width').inputValue());
      await tabTo(page, 'full-image');
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => Number(await page.locator('#window-width').inputValue())).toBeGreaterThan(width);
      expect(await page.locator('#full-image').getAttribute('aria-label')).toMatch(/64/);
      expect(await page.evaluate(() => (globalThis as any).clinfer.lastTimings?.totalMs), 'lastTimings covers the page’s own predictions').toBeGreaterThan(0);
      await check(page, 'image result', language);
      await page.screenshot({ path: join(ARTIFACTS, `clinician-image-${language}.png`), fullPage: true });

      // Print: the button by keyboard, then the print layout: the report alone, on one page.
      await tabTo(page, 'print-button');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => (globalThis as any).printed)).toBe(1);
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('#report').isVisible()).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, `clinician-print-${language}.png`), fullPage: true });
      expect(await page.locator('#input-area').isVisible()).toBe(false);
      expect(await page.locator('#model-card').isVisible()).toBe(false);
      const report = (await page.locator('#report').textContent())!;
      for (const part of [XRAY, REGULATORY[language], label, 'chest.dcm']) expect(report).toContain(part);
      expect(await page.locator('#report-digest').textContent()).toMatch(/^[0-9a-f]{64}$/);
      // (page.pdf prints with the emulated media: print, as set above.)
      const pdf = await page.pdf({ format: 'A4' });
      writeFileSync(join(ARTIFACTS, `clinician-report-${language}.pdf`), pdf);
      await page.emulateMedia({ media: 'screen' });
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      figures[`printedPages ${language}`] = pages;
      expect(pages, 'the printed report is one page').toBe(1);

      // Export: the result as a JSON file, made in the page.
      await tabTo(page, 'export-button');
      const download = page.waitForEvent('download');
      await page.keyboard.press('Enter');
      const exported = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
      expect(exported).toMatchObject({ clinfer_result: 1, language, model: { name: XRAY, version: '1' }, regulatory_status: REGULATORY[language] });
      expect(exported.response.predictions[0].scores).toHaveLength(2);

      // 360 px wide: nothing wider than the screen.
      await page.setViewportSize({ width: 360, height: 800 });
      expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await page.screenshot({ path: join(ARTIFACTS, `clinician-image-${language}-360.png`), fullPage: true });
      await page.setViewportSize({ width: 1200, height: 900 });
    });

    it(`${language}: an MR sent to the chest model is refused in words, before any score`, async () => {
      const { page } = browser;
      await page.goto(`${server.url}/app/?model=${XRAY}&lang=${language}`);
      await page.locator('#drop-zone').waitFor();
      await tabTo(page, 'file-button');
      await chooseFileWithKeyboard(page, 'MR_small.dcm', MR, ' ');
      await expect.poll(() => activeId(page), { timeout: 30_000 }).toBe('error');
      expect(await page.locator('#error').textContent()).toContain(OUT_OF_SCOPE[language]);
      expect(await page.locator('#scope-findings li[data-condition="modality"]').textContent()).toContain('MR');
      expect(await page.locator('#result').count()).toBe(0);
      expect(await page.locator('#header-modality').textContent()).toBe('MR');
      await check(page, 'image out of scope', language);
      const viaApi = await page.evaluate(async (bytes) => (globalThis as any).clinfer.predict('chest-xray-pneumonia', new Uint8Array(bytes)).catch((e: any) => ({ code: e.code, message: e.message })), [...MR]);
      const fromServer = await fetch(`${server.url}/v1/models/${XRAY}/predict`, { method: 'POST', headers: { 'content-type': 'application/dicom' }, body: MR });
      expect(fromServer.status).toBe(422);
      expect(viaApi, 'the page refuses as the server').toEqual({ code: 'OUT_OF_SCOPE', message: ((await fromServer.json()) as any).error });
    });

    it(`${language}: the empty form asks for data; a value out of range is shown at its field; a filled form is scored`, async () => {
      const { page } = browser;
      await page.goto(`${server.url}/app/?model=${HEART}&lang=${language}`);
      await page.locator('#tabular-form').waitFor();
      await check(page, 'form', language);
      await tabTo(page, 'predict-button');
      await page.keyboard.press('Enter');
      await expect.poll(() => activeId(page)).toBe('insufficient');
      expect(await page.locator('#result').count(), 'no score for an empty form').toBe(0);
      expect(await page.locator('#insufficient li[data-feature="age"]').count()).toBe(1);
      expect(await page.locator('#feature-age').getAttribute('aria-invalid')).toBe('true');
      await check(page, 'form insufficient', language);

      await tabTo(page, 'feature-age');
      await page.keyboard.type('63');
      await tabTo(page, 'feature-chol');
      await page.keyboard.type('6.2');
      await tabTo(page, 'predict-button');
      await page.keyboard.press('Enter');
      await expect.poll(() => activeId(page)).toBe('error');
      expect(await page.locator('#feature-chol').getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#feature-chol-error').isVisible()).toBe(true);
      await check(page, 'form invalid value', language);

      await tabTo(page, 'feature-chol');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('233');
      await tabTo(page, 'feature-sex');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await tabTo(page, 'predict-button');
      await page.keyboard.press('Enter');
      await expect.poll(() => activeId(page)).toBe('result-heading');
      expect(await page.locator('#result-label').textContent()).toMatch(language === 'en' ? /Probability \d+\.\d %/ : language === 'fr' ? /Probabilité \d+,\d %/ : /Wahrscheinlichkeit \d+,\d %/);
      expect(await page.locator('#feature-age').inputValue(), 'typed values stay').toBe('63');
      await check(page, 'form result', language);
      await page.screenshot({ path: join(ARTIFACTS, `clinician-form-${language}.png`), fullPage: true });
      await page.setViewportSize({ width: 360, height: 800 });
      expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await page.setViewportSize({ width: 1200, height: 900 });
    });
  }

  it('an out-of-scope image under a bundle that warns is scored with the warning in words, as the server answers', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/app/?model=${XRAY_WARN}&lang=fr`);
    await page.locator('#drop-zone').waitFor();
    await tabTo(page, 'drop-zone');
    await chooseFileWithKeyboard(page, 'MR_small.dcm', MR);
    await expect.poll(() => activeId(page), { timeout: 30_000 }).toBe('result-heading');
    expect(await page.locator('#scope-warning').textContent()).toContain('Attention : cette image ne correspond pas');
    expect(await page.locator('#scope-warning li[data-condition="modality"]').textContent()).toBe('Modalité : MR ; le modèle a été conçu pour CR, DX.');
    expect(await axeViolations(page)).toEqual([]);
    const shown = JSON.parse((await page.locator('#result-json').textContent())!);
    const fromServer = await fetch(`${server.url}/v1/models/${XRAY_WARN}/predict`, { method: 'POST', headers: { 'content-type': 'application/dicom', 'accept-language': 'fr' }, body: MR });
    expect(fromServer.status).toBe(200);
    const json = (await fromServer.json()) as any;
    expect(shown.out_of_scope).toEqual(json.out_of_scope);
    expect(shown.out_of_scope.map((n: any) => n.condition)).toContain('modality');
  });

  it('the whole image: frames of a multi-frame file by keyboard, window/level with the mouse', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/app/?model=${XRAY}&lang=en`);
    await page.locator('#drop-zone').waitFor();
    await tabTo(page, 'drop-zone');
    await chooseFileWithKeyboard(page, 'two-frames.dcm', readDicomFixture('SC_rgb_rle_2frame.dcm'));
    await page.locator('#frame-label').waitFor();
    expect(await page.locator('#frame-label').textContent()).toBe('Frame 1 of 2');
    expect(await page.locator('#header-frames').textContent()).toBe('2');
    await tabTo(page, 'full-image');
    await page.keyboard.press('PageDown');
    await expect.poll(() => page.locator('#frame-label').textContent()).toBe('Frame 2 of 2');
    expect(await activeId(page), 'the focus stays on the image').toBe('full-image');
    await expect.poll(() => page.locator('#full-image').getAttribute('aria-label')).toContain('frame 2 of 2');
    await page.keyboard.press('PageUp');
    await expect.poll(() => page.locator('#frame-label').textContent()).toBe('Frame 1 of 2');
    // Another language from the keyboard: the page speaks it, the focus stays on the menu.
    await tabTo(page, 'language');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('#frame-label').textContent()).toBe('Image 1 sur 2');
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.lang)).toBe('fr');
    expect(await activeId(page), 'the focus stays on the language menu').toBe('language');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.locator('#frame-label').textContent()).toBe('Frame 1 of 2');

    await page.goto(`${server.url}/app/?model=${XRAY}&lang=en`);
    await page.locator('#file-input').setInputFiles({ name: 'chest.dcm', mimeType: 'application/dicom', buffer: CHEST });
    await page.locator('#full-image').waitFor();
    await expect.poll(async () => Number(await page.locator('#window-width').inputValue())).toBeGreaterThan(0);
    const before = { centre: Number(await page.locator('#window-centre').inputValue()), width: Number(await page.locator('#window-width').inputValue()) };
    const box = (await page.locator('#full-image').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 20, { steps: 4 });
    await page.mouse.up();
    const after = { centre: Number(await page.locator('#window-centre').inputValue()), width: Number(await page.locator('#window-width').inputValue()) };
    expect(after.width, 'dragging right widens the window').toBeGreaterThan(before.width);
    expect(after.centre, 'dragging down lowers the centre').toBeLessThan(before.centre);
    await page.locator('#window-preset').selectOption('full');
    // The synthetic chest CR holds 900..3000 (12-bit): the full range is about that.
    await expect.poll(async () => Number(await page.locator('#window-width').inputValue())).toBeGreaterThan(2000);
  });

  it('axe-core finds no violation in any state, in any language', () => {
    figures.axeStates = Object.keys(axe).length;
    figures.axeViolations = Object.values(axe).reduce((n, v) => n + v.length, 0);
    expect(Object.keys(axe).length).toBe(24);
    expect(Object.fromEntries(Object.entries(axe).filter(([, v]) => v.length))).toEqual({});
  });

  it('no visible or spoken string in French or German is left in English (outside names, codes and units)', () => {
    const left: Record<string, string[]> = {};
    for (const [state, byLanguage] of Object.entries(texts)) {
      const english = new Set(byLanguage.en);
      for (const language of ['fr', 'de'] as const) {
        const same = (byLanguage[language] ?? []).filter((s) => english.has(s) && !SAME_IN_EVERY_LANGUAGE.has(s) && !isNumberOrSign(s));
        if (same.length) left[`${state} ${language}`] = [...new Set(same)];
      }
    }
    figures.statesCompared = Object.keys(texts).length;
    expect(Object.keys(texts).length).toBe(8);
    expect(left).toEqual({});
  });

  for (const [name, host] of [['require-corp', () => isolatedHost], ['credentialless', () => credentiallessHost]] as const) {
    it(`is framed by a cross-origin isolated host page (COEP ${name}) and answers it`, async () => {
      const hostPage = await browser.context.newPage();
      try {
        await hostPage.goto(host().url(`${server.url}/app/?model=${XRAY}`));
        expect(await hostPage.evaluate(() => (globalThis as any).crossOriginIsolated)).toBe(true);
        const ready = await hostPage.evaluate(() => Promise.race([(globalThis as any).appReady, new Promise((r) => setTimeout(() => r(false), 15_000))]));
        expect(ready, 'the framed app loaded and said so').toBe(true);
        const answer = await hostPage.evaluate(async (bytes) => (globalThis as any).hostPredict('chest-xray-pneumonia', new Uint8Array(bytes).buffer), [...CHEST]);
        expect(answer.type).toBe('clinfer.result');
        expect(answer.result.predictions[0].scores).toHaveLength(2);
      } finally {
        await hostPage.close();
      }
    });
  }

  it("takes a same-origin host's own File, Blob, ArrayBuffer and typed array (another realm) in window.clinfer.predict", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/app/?lang=en`);
    const results = await page.evaluate(async (bytes) => {
      const doc = (globalThis as any).document;
      const frame = doc.createElement('iframe');
      frame.src = '/app/?lang=en';
      doc.body.append(frame);
      for (let i = 0; i < 300 && !frame.contentWindow?.clinfer; i++) await new Promise((r) => setTimeout(r, 100));
      const api = frame.contentWindow.clinfer;
      const data = new Uint8Array(bytes);
      const inputs = { file: new File([data], 'chest.dcm'), blob: new Blob([data]), arrayBuffer: data.slice().buffer, typedArray: data };
      const out: Record<string, unknown> = {};
      for (const [kind, input] of Object.entries(inputs)) {
        out[kind] = await api.predict('chest-xray-pneumonia', input).then((r: any) => r.predictions[0].scores.map((s: any) => s.score), (e: any) => `${e.code}: ${e.message}`);
      }
      out.realmsDiffer = frame.contentWindow.Blob !== (globalThis as any).Blob;
      return out;
    }, [...CHEST]);
    expect(results.realmsDiffer).toBe(true);
    const reference = results.file as number[];
    expect(reference).toHaveLength(2);
    for (const kind of ['blob', 'arrayBuffer', 'typedArray']) expect(results[kind], kind).toEqual(reference);
  });
});
