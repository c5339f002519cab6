#!/usr/bin/env node
// Runs after `npm install` / `npm ci` (package.json postinstall). onnxruntime-node's own install script is
// denied in package.json's allowScripts: left alone, it downloads ONNX Runtime's CUDA libraries (hundreds
// of MB from NuGet) on every linux/x64 install, and the CPU library clinfer uses ships in the npm package.
// A GPU server asks for them as onnxruntime-node documents, ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci; this
// script then runs onnxruntime-node's installer with that variable. Unset or `skip`: nothing to do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const wanted = process.env.ONNXRUNTIME_NODE_INSTALL;
if (!wanted || wanted === 'skip') process.exit(0);

const require = createRequire(import.meta.url);
let installer;
try {
  installer = join(dirname(require.resolve('onnxruntime-node/package.json')), 'script/install.js');
} catch {
  // `npm ci --omit=dev` of a package that does not depend on it, or a partial install: nothing to add to.
  process.exit(0);
}
// npm before allowScripts (npm 10) ran the package's own script already; do not download twice.
const cudaProvider = join(dirname(installer), '..', 'bin/napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
if (wanted === 'cuda12' && existsSync(cudaProvider)) process.exit(0);

console.error(`onnxruntime-node: ONNXRUNTIME_NODE_INSTALL=${wanted}: running its installer`);
// As npm runs a dependency's script: in its folder, npm_package_json naming its package.json. Left as this
// package's, the installer takes itself for a development checkout of onnxruntime-node and does nothing.
const packageDir = dirname(dirname(installer));
const run = spawnSync(process.execPath, [installer], { stdio: 'inherit', cwd: packageDir, env: { ...process.env, npm_package_json: join(packageDir, 'package.json') } });
process.exit(run.status ?? 1);
