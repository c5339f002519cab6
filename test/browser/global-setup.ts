import { ensureAppBuilt } from '../../tools/browser/build-app.js';

/** vitest globalSetup: build the web app once before the browser tests (a no-op when app/dist is fresh). */
export default async function setup(): Promise<void> {
  await ensureAppBuilt();
}
