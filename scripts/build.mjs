#!/usr/bin/env node
// The production build (`npm run build`, also run by `npm install` through `prepare`): compiles runtime/
// and adapters/ with tsc (tsconfig.build.json) to dist/, copies the files they read beside themselves
// (.proto, vendored .js, worker bootstrap), and writes dist/build.json, whose time bin/clinfer.mjs
// compares with the sources' to refuse a stale build. `--out <dir>` builds elsewhere (the tests).
// Type errors fail the build: a tree that does not type-check is not shipped.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist') } } });
const out = resolve(values.out);
/** Source folders compiled; every other file in them except TypeScript and READMEs is copied as it is. */
const SOURCES = ['runtime', 'adapters'];
const isAsset = (name) => !name.endsWith('.ts') && !name.endsWith('.md');

// Taken before compiling: a source saved while tsc runs makes the build stale, not silently current.
const startedAt = Date.now();
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`build: tsc failed (exit ${compiled.status ?? compiled.signal}); ${relative(process.cwd(), out) || '.'} is incomplete, fix the errors above and run npm run build again`);
  process.exit(1);
}

const assets = [];
for (const folder of SOURCES) {
  for (const entry of readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !isAsset(entry.name)) continue;
    const path = relative(ROOT, join(entry.parentPath, entry.name));
    mkdirSync(dirname(join(out, path)), { recursive: true });
    copyFileSync(join(ROOT, path), join(out, path));
    assets.push(path);
  }
}
writeFileSync(join(out, 'build.json'), `${JSON.stringify({ startedAt, sources: SOURCES, assets: assets.sort() }, null, 2)}\n`);
