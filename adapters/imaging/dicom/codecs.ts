/**
 * The one place that loads the WebAssembly codecs (Emscripten modules from @cornerstonejs): lazily, once
 * per process or page, on first use. Nothing here imports a `node:` module, so the same file serves a
 * browser bundle:
 *
 * - Node (server, tests): with no configuration, each Emscripten module finds its .wasm next to its own
 *   JS file in node_modules and reads it with its built-in Node file loader.
 * - Browser (Vite): the .wasm files are not next to the bundle, so the app says where they are served:
 *     import charlsWasm from '@cornerstonejs/codec-charls/decodewasm?url';  // and the other three
 *     configureCodecs({ locateWasm: (file) => ({ 'charlswasm_decode.wasm': charlsWasm, ... })[file] });
 *   (or copy the four files to one folder and return `/wasm/${file}`).
 */

export interface CodecConfiguration {
  /** The URL (browser) or path (Node) of a codec's .wasm file, given its file name (see WASM_FILES). */
  readonly locateWasm?: (file: string) => string;
}

/** The codec modules and the .wasm file each one loads. */
export const WASM_FILES = {
  'libjpeg-turbo': 'libjpegturbowasm_decode.wasm',
  charls: 'charlswasm_decode.wasm',
  openjpeg: 'openjpegwasm_decode.wasm',
  openjph: 'openjphjs.wasm',
} as const;

export type WasmCodecName = keyof typeof WASM_FILES;

/** What the four Emscripten modules have in common: decoder classes created with `new`. */
export interface EmscriptenCodecModule {
  readonly [decoderClass: string]: unknown;
}

interface ModuleArg {
  locateFile?: (file: string, prefix: string) => string;
  print: (text: string) => void;
  printErr: (text: string) => void;
}

type Factory = (moduleArg: ModuleArg) => Promise<EmscriptenCodecModule>;

/** Dynamic imports, so a bundler splits each codec into its own chunk and a page loads only what it decodes. */
const importers: Readonly<Record<WasmCodecName, () => Promise<{ default: Factory }>>> = {
  'libjpeg-turbo': () => import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs'),
  charls: () => import('@cornerstonejs/codec-charls/decodewasmjs'),
  openjpeg: () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'),
  openjph: () => import('@cornerstonejs/codec-openjph/wasmjs'),
};

let configuration: CodecConfiguration = {};
const loaded = new Map<WasmCodecName, Promise<EmscriptenCodecModule>>();

/** Sets where the .wasm files are; applies to codecs not loaded yet (call it before the first decode). */
export function configureCodecs(next: CodecConfiguration): void {
  configuration = { ...next };
}

/** The instantiated module, loaded on first call; concurrent callers share one load. */
export function loadCodec(name: WasmCodecName): Promise<EmscriptenCodecModule> {
  let module = loaded.get(name);
  if (!module) {
    module = instantiate(name);
    loaded.set(name, module);
    // A failed load is not cached: the next decode tries again (e.g. after configureCodecs).
    const current = module;
    current.catch(() => {
      if (loaded.get(name) === current) loaded.delete(name);
    });
  }
  return module;
}

/**
 * Forgets a module after it trapped or aborted (an Emscripten abort leaves the instance unusable); the
 * next decode instantiates a fresh one.
 */
export function discardCodec(name: WasmCodecName): void {
  loaded.delete(name);
}

async function instantiate(name: WasmCodecName): Promise<EmscriptenCodecModule> {
  const { default: factory } = await importers[name]();
  const locate = configuration.locateWasm;
  // The codecs print progress (OpenJPEG's [INFO] lines) to stdout/stderr; an adapter never logs.
  const quiet = { print: () => {}, printErr: () => {} };
  return factory(locate ? { ...quiet, locateFile: (file, prefix) => (file.endsWith('.wasm') ? locate(WASM_FILES[name]) : prefix + file) } : quiet);
}
