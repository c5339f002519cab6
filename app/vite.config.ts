import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { ortAssets } from './build/ort-assets.js';
import { precompress } from './build/precompress.js';
import { serviceWorkerManifest, SW_FILE } from './build/service-worker-manifest.js';

const appDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * The clinician's web app, served by clinfer under /app/. Everything it runs is in app/dist: no CDN.
 * The pre- and postprocessing modules come from ../adapters, the very files the server runs.
 */
export default defineConfig({
  root: appDir,
  base: '/app/',
  logLevel: 'warn',
  clearScreen: false,
  resolve: {
    // ONNX Runtime's builds that load their WASM loader from env.wasm.wasmPaths (our own folder),
    // rather than the variants that inline it.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: { index: `${appDir}index.html`, sw: `${appDir}src/offline/service-worker.ts` },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? SW_FILE : 'assets/[name]-[hash].js'),
      },
    },
  },
  plugins: [ortAssets(), serviceWorkerManifest(), precompress()],
});
