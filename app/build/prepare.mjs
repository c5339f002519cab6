// `npm install` / `npm ci` run this (package.json "prepare"): builds the web app into app/dist so that
// `npm start` serves it. A production install (--omit=dev) has no Vite and skips it: the images build
// the app in a stage of their own (Dockerfile).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let vite;
try {
  vite = join(dirname(require.resolve('vite/package.json')), 'bin/vite.js');
} catch {
  console.log('clinfer: Vite is not installed (production install): the web app is not built here');
  process.exit(0);
}
const result = spawnSync(process.execPath, [vite, 'build', '-c', 'app/vite.config.ts', '--logLevel', 'error'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
