import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);
const ORT_DIST = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
export const ORT_VERSION: string = JSON.parse(readFileSync(join(ORT_DIST, '../package.json'), 'utf8')).version;

/** Where the app finds ONNX Runtime's WASM files, under the app's base (versioned: served immutable). */
export const ORT_ASSET_DIR = `assets/ort-${ORT_VERSION}/`;

/**
 * The WASM builds of ONNX Runtime the page may load: the CPU one (SIMD, threads when cross-origin
 * isolated) and the WebGPU one (asyncify). Each is an Emscripten loader (.mjs) and its binary.
 */
export const ORT_FILES = {
  wasm: ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'],
  webgpu: ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'],
} as const;

/**
 * Copies ONNX Runtime's WASM files into the build, next to the app, so the page never reaches a CDN.
 * The page points `ort.env.wasm.wasmPaths` at ORT_ASSET_DIR (given to the code as __ORT_ASSET_DIR__).
 */
export function ortAssets(): Plugin {
  return {
    name: 'clinfer-ort-assets',
    config: () => ({ define: { __ORT_ASSET_DIR__: JSON.stringify(ORT_ASSET_DIR) } }),
    generateBundle() {
      for (const file of [...ORT_FILES.wasm, ...ORT_FILES.webgpu]) {
        this.emitFile({ type: 'asset', fileName: ORT_ASSET_DIR + file, source: readFileSync(join(ORT_DIST, file)) });
      }
    },
  };
}
