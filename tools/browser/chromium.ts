import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CLINFER_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, self-contained headless Chromium: no GPU, no QUIC, no background calls home. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request any page or worker of the context made, in order. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly body: Buffer | null;
  readonly headers: Record<string, string>;
  readonly fromServiceWorker: boolean;
}

/**
 * A real Chromium with a fresh profile (its own user data dir: empty caches, no service worker),
 * bounded timeouts, and every request recorded. Close it in afterAll.
 */
export async function launchChromium(options: { locale?: string; timeoutMs?: number } = {}): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'clinfer-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    locale: options.locale ?? 'en-US',
    viewport: { width: 1200, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(options.timeoutMs ?? 20_000);
  context.setDefaultNavigationTimeout(options.timeoutMs ?? 20_000);
  const requests: RecordedRequest[] = [];
  context.on('request', (request) => {
    requests.push({ method: request.method(), url: request.url(), body: request.postDataBuffer(), headers: request.headers(), fromServiceWorker: request.serviceWorker() !== null });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    requests,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The text of the page's error box once it shows one. */
export async function errorText(page: Page): Promise<string> {
  const box = page.locator('#error');
  await box.filter({ hasText: /\S/ }).waitFor({ state: 'visible' });
  return (await box.textContent()) ?? '';
}
