#!/usr/bin/env node
// clinfer command line. It runs the compiled JavaScript in dist/ (`npm run build`; `npm install` builds it).
// CLINFER_FROM_SOURCE=1 runs the TypeScript sources through tsx instead (development and the tests; tsx is
// a development dependency). A missing dist/, or one older than a file under runtime/ or adapters/, is
// refused with the command that fixes it: old code never runs in silence.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// onnxruntime on Linux otherwise sends usage telemetry and keeps a device id under ~/.cache: not in a hospital.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Exits 1 with `message` unless dist/ exists and no source file changed after its build began. */
function checkBuild() {
  const fix = 'run `npm run build` (or set CLINFER_FROM_SOURCE=1 to run the TypeScript sources with tsx, for development)';
  let build;
  try {
    build = JSON.parse(readFileSync(join(ROOT, 'dist/build.json'), 'utf8'));
  } catch {
    return `clinfer: the compiled runtime (dist/) is missing: ${fix}`;
  }
  // Sources are absent where only dist/ was installed (the container images): nothing to compare.
  for (const folder of build.sources) {
    if (!existsSync(join(ROOT, folder))) continue;
    for (const entry of readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      if (statSync(path).mtimeMs > build.startedAt) return `clinfer: dist/ is older than the sources (${path.slice(ROOT.length)} changed after the last build): ${fix}`;
    }
  }
  return undefined;
}

let main;
if (process.env.CLINFER_FROM_SOURCE === '1') {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error('clinfer: CLINFER_FROM_SOURCE=1 needs tsx, a development dependency: run `npm install` (not --omit=dev), or unset it to run dist/');
    process.exit(1);
  }
  register();
  ({ main } = await import('../runtime/cli/main.ts'));
} else {
  const stale = checkBuild();
  if (stale) {
    console.error(stale);
    process.exit(1);
  }
  ({ main } = await import('../dist/runtime/cli/main.js'));
}
// `clinfer bundle inspect ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2));
