import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';
import { ORT_ASSET_DIR, ORT_FILES } from './ort-assets.js';

export const SW_FILE = 'sw.js';
const PLACEHOLDER = /(["'`])__CLINFER_SW_MANIFEST__\1/;

/**
 * Writes into the built service worker what it precaches on install (the app shell: index.html, every
 * script and style, ONNX Runtime's CPU build) and a build id naming its cache. A new build changes
 * sw.js, so browsers install the new worker and drop the old cache. The WebGPU build of ONNX Runtime
 * is left out (27 MB, and only used where a GPU is found): the worker caches it when first fetched.
 */
export function serviceWorkerManifest(): Plugin {
  return {
    name: 'clinfer-service-worker-manifest',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        const worker = Object.values(bundle).find((o) => o.type === 'chunk' && o.fileName === SW_FILE);
        if (!worker || worker.type !== 'chunk') return this.error(`the build has no ${SW_FILE}`);
        const skipped = new Set<string>([SW_FILE, ...ORT_FILES.webgpu.map((f) => ORT_ASSET_DIR + f)]);
        const hash = createHash('sha256');
        const precache: string[] = [];
        for (const output of Object.values(bundle).sort((a, b) => a.fileName.localeCompare(b.fileName))) {
          if (skipped.has(output.fileName) || output.fileName.endsWith('.map')) continue;
          precache.push(output.fileName === 'index.html' ? './' : output.fileName);
          hash.update(output.fileName).update(output.type === 'chunk' ? output.code : output.source);
        }
        const manifest = JSON.stringify({ build: hash.digest('hex').slice(0, 16), precache });
        if (!PLACEHOLDER.test(worker.code)) return this.error(`${SW_FILE}: the manifest placeholder is missing`);
        worker.code = worker.code.replace(PLACEHOLDER, JSON.stringify(manifest));
      },
    },
  };
}
