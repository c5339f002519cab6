import type * as Ort from 'onnxruntime-web';
import { parseImageSpec, type ImageSpec } from '../../../adapters/imaging/image-spec.js';
import { parseTabularSpec, type TabularSpec } from '../../../adapters/tabular/tabular-spec.js';
import { AppError } from '../errors.js';
import { createSession, ortRuntime, type OrtRuntime, preferredProvider, providerFromUrl } from '../inference/ort-runtime.js';
import { modelMetadata, type ModelMetadata } from '../server/models.js';
import { loadBundleFiles } from './bundle-cache.js';
import type { BundleJson } from './bundle-json.js';

/** A model version ready to run in the page. */
export interface LoadedModel {
  readonly name: string;
  readonly version: string;
  /** The server's bundle digest (model_digest in answers). */
  readonly digest: string;
  readonly bundle: BundleJson;
  readonly runtime: OrtRuntime;
  readonly session: Ort.InferenceSession;
  readonly input: string;
  readonly output: string;
  readonly kind: { readonly type: 'image'; readonly spec: ImageSpec } | { readonly type: 'tabular'; readonly spec: TabularSpec };
  /** The metadata came from this device's saved copy (server out of reach). */
  readonly offline: boolean;
  /** Both bundle files came from this device's cache. */
  readonly fromCache: boolean;
  readonly loadMs: number;
}

const loaded = new Map<string, Promise<LoadedModel>>();

/**
 * The model's latest READY version, loaded once per page (metadata, bundle files verified, session).
 * `refresh` asks the server again, so a newly deployed version is picked up.
 */
export function loadModel(name: string, options: { refresh?: boolean } = {}): Promise<LoadedModel> {
  const known = loaded.get(name);
  if (known && !options.refresh) return known;
  const loading = (async () => {
    const { value: meta, offline } = await modelMetadata(name);
    const previous = known ? await known.catch(() => undefined) : undefined;
    if (previous && previous.digest === meta.bundle_digest && previous.version === meta.version) return { ...previous, offline };
    return build(meta, offline);
  })();
  loaded.set(name, loading);
  loading.catch(() => { if (loaded.get(name) === loading) loaded.delete(name); });
  return loading;
}

async function build(meta: ModelMetadata, offline: boolean): Promise<LoadedModel> {
  const started = performance.now();
  const files = await loadBundleFiles(meta);
  const { bundle } = files;
  const kind = readKind(meta, bundle);
  const post = bundle.postprocessing ?? { kind: 'none' };
  const output = typeof post.output === 'string' ? post.output : meta.outputs[0]?.name;
  if (!output) throw new AppError('UNSUPPORTED_MODEL', `model '${meta.name}' declares no output`);
  const runtime = await ortRuntime(preferredProvider(providerFromUrl(), bundle.web?.execution_provider));
  const session = await createSession(runtime, files.model);
  return {
    name: meta.name, version: meta.version, digest: meta.bundle_digest, bundle, runtime, session,
    input: kind.spec.input, output, kind, offline, fromCache: files.fromCache, loadMs: performance.now() - started,
  };
}

function readKind(meta: ModelMetadata, bundle: BundleJson): LoadedModel['kind'] {
  const pre = bundle.preprocessing ?? { kind: 'none' };
  const inputOf = (name: unknown) => meta.inputs.find((i) => i.name === name);
  try {
    if (pre.kind === 'image') {
      const post = bundle.postprocessing?.kind ?? 'none';
      if (!['softmax', 'sigmoid', 'probability', 'segmentation'].includes(post)) {
        throw new AppError('UNSUPPORTED_MODEL', `model '${meta.name}' declares postprocessing '${post}'; the web app reads image classifiers (softmax, sigmoid, probability) and segmentation`);
      }
      return { type: 'image', spec: parseImageSpec(pre, inputOf(pre.input)) };
    }
    if (pre.kind === 'tabular') return { type: 'tabular', spec: parseTabularSpec(pre, inputOf(pre.input)) };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('UNSUPPORTED_MODEL', `model '${meta.name}': ${(error as Error).message}`);
  }
  throw new AppError('UNSUPPORTED_MODEL', `model '${meta.name}' declares preprocessing '${pre.kind}'; the web app runs image and tabular bundles`);
}
