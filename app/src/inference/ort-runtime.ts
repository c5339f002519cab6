import type * as Ort from 'onnxruntime-web';
import type { ExecutionProvider } from './preferred-provider.js';

export type { ExecutionProvider } from './preferred-provider.js';
export { preferredProvider } from './preferred-provider.js';

export interface RuntimeInfo {
  readonly executionProvider: ExecutionProvider;
  /** WASM threads: navigator.hardwareConcurrency when the page is cross-origin isolated, else 1. */
  readonly numThreads: number;
  readonly crossOriginIsolated: boolean;
  readonly ortVersion: string;
}

export interface OrtRuntime {
  readonly ort: typeof Ort;
  readonly info: RuntimeInfo;
}

let started: Promise<OrtRuntime> | undefined;

/**
 * ONNX Runtime Web, set up once for the page: WASM, unless `preferred` asks for WebGPU and the browser
 * offers an adapter. WebGPU is never the default: its build of the runtime is 27 MB (4.6 MB brotli)
 * against the CPU build's 14 MB (2.7 MB), and the models the app runs are small enough for the CPU.
 * Its files come from the app's own folder, never from a CDN; only the chosen build is fetched.
 */
export function ortRuntime(preferred: ExecutionProvider | undefined = providerFromUrl()): Promise<OrtRuntime> {
  started ??= (async () => {
    const webgpu = preferred === 'webgpu' && (await hasWebGpu());
    const ort = webgpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
    const isolated = globalThis.crossOriginIsolated === true;
    const numThreads = isolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;
    ort.env.wasm.wasmPaths = new URL(import.meta.env.BASE_URL + __ORT_ASSET_DIR__, location.origin).href;
    ort.env.wasm.numThreads = numThreads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    return { ort, info: { executionProvider: webgpu ? 'webgpu' : 'wasm', numThreads, crossOriginIsolated: isolated, ortVersion: ort.env.versions.web ?? '' } };
  })();
  return started;
}

/**
 * `?ep=webgpu` (or wasm) on the page's URL: the user's choice. Read by every first call, so the page's
 * runtime line or `clinfer` API asking before a model loads cannot settle on WASM against it.
 */
export function providerFromUrl(): ExecutionProvider | undefined {
  const ep = new URLSearchParams(location.search).get('ep');
  return ep === 'wasm' || ep === 'webgpu' ? ep : undefined;
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

export async function createSession(runtime: OrtRuntime, model: Uint8Array): Promise<Ort.InferenceSession> {
  const providers: ExecutionProvider[] = runtime.info.executionProvider === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
  return runtime.ort.InferenceSession.create(model, { executionProviders: providers, graphOptimizationLevel: 'all' });
}

/** Runs one FP32 input through the session and returns the named output's values. */
export async function runFloat(runtime: OrtRuntime, session: Ort.InferenceSession, input: string, data: Float32Array, shape: readonly number[], output: string): Promise<Float32Array | Float64Array> {
  return (await runFloatTensor(runtime, session, input, data, shape, output)).data;
}

/** The same, with the output's dimensions (a segmentation output's [N, C, H, W]). */
export async function runFloatTensor(runtime: OrtRuntime, session: Ort.InferenceSession, input: string, data: Float32Array, shape: readonly number[], output: string): Promise<{ data: Float32Array | Float64Array; dims: readonly number[] }> {
  const feeds = { [input]: new runtime.ort.Tensor('float32', data, shape) };
  const result = await session.run(feeds, [output]);
  const tensor = result[output];
  if (!tensor || !(tensor.data instanceof Float32Array || tensor.data instanceof Float64Array)) {
    throw new Error(`output '${output}' is ${tensor?.type ?? 'missing'}; a prediction needs float32 or float64`);
  }
  return { data: tensor.data, dims: tensor.dims };
}
