import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
const ROOT = new URL('../../', import.meta.url).pathname;

export const APP_DIST = join(ROOT, 'app/dist');
const SOURCES = ['app/src', 'app/build', 'app/index.html', 'app/vite.config.ts', 'adapters'].map((p) => join(ROOT, p));
const LOCK = join(ROOT, 'app/.build-lock');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export function appIsStale(): boolean {
  const built = join(APP_DIST, 'index.html');
  if (!existsSync(built) || !existsSync(join(APP_DIST, 'sw.js'))) return true;
  return Math.max(...SOURCES.map(newest)) > statSync(built).mtimeMs;
}

/**
 * Builds app/dist with Vite when it is missing or older than its sources (app/, adapters/). Test
 * files run in parallel, so the build holds a lock (an atomic mkdir); a second caller waits for it.
 */
export async function ensureAppBuilt(): Promise<void> {
  for (let waited = 0; appIsStale(); waited += 200) {
    try {
      mkdirSync(LOCK);
    } catch {
      if (waited > 120_000) throw new Error(`app build lock ${LOCK} held for 2 minutes: remove it if no build runs`);
      await sleep(200);
      continue;
    }
    try {
      if (!appIsStale()) return;
      const { build } = await import('vite');
      // vitest sets NODE_ENV=test, which Vite would honour with a development build (no service worker).
      const nodeEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        await build({ configFile: join(ROOT, 'app/vite.config.ts'), mode: 'production', logLevel: 'error' });
      } finally {
        process.env.NODE_ENV = nodeEnv;
      }
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
