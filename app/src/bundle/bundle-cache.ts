import { AppError } from '../errors.js';
import { apiFetch } from '../server/api.js';
import type { ModelMetadata } from '../server/models.js';
import type { BundleJson } from './bundle-json.js';

export interface BundleFiles {
  readonly bundle: BundleJson;
  /** The model file, checked against bundle.json's model.sha256. */
  readonly model: Uint8Array;
  /** True when both files came from this device's cache (no network). */
  readonly fromCache: boolean;
}

const CACHE = 'clinfer-bundles';

/**
 * A version's bundle.json and model file, from the Cache API when this device has them, else from
 * GET /v1/models/{m}/versions/{v}/files/{file}. The URLs carry the bundle digest, so a version
 * re-deployed with other files is fetched afresh. The model bytes are hashed (SHA-256) before any
 * session is made from them; a mismatch drops the cached copies and refuses the model.
 */
export async function loadBundleFiles(meta: ModelMetadata): Promise<BundleFiles> {
  if (meta.metadata_source !== 'bundle') {
    throw new AppError('UNSUPPORTED_MODEL', `model '${meta.name}' has no bundle.json (a bare ONNX file): the web app runs bundled models only`);
  }
  if (!globalThis.crypto?.subtle) {
    throw new AppError('INSECURE_CONTEXT', 'this page is not a secure context (HTTPS or localhost), so the browser cannot verify model files; open clinfer over HTTPS');
  }
  const cache = typeof caches === 'undefined' ? undefined : await caches.open(CACHE).catch(() => undefined);
  const base = filesBase(meta);
  const tag = digestTag(meta);
  const bundlePath = `${base}bundle.json${tag}`;
  const cachedBundle = await cache?.match(new URL(bundlePath, location.origin));
  const bundleBytes = cachedBundle ? new Uint8Array(await cachedBundle.arrayBuffer()) : await download(bundlePath);
  const bundle = JSON.parse(new TextDecoder().decode(bundleBytes)) as BundleJson;
  const modelPath = `${base}${encodeURIComponent(bundle.model.file)}${tag}`;
  const cachedModel = await cache?.match(new URL(modelPath, location.origin));
  const model = cachedModel ? new Uint8Array(await cachedModel.arrayBuffer()) : await download(modelPath);

  const actual = await sha256Hex(model);
  if (actual !== bundle.model.sha256) {
    await Promise.all([cache?.delete(new URL(bundlePath, location.origin)), cache?.delete(new URL(modelPath, location.origin))]);
    throw new AppError('BUNDLE_DIGEST_MISMATCH',
      `the model file of '${meta.name}' version ${meta.version} does not match the SHA-256 in its bundle.json `
      + `(expected ${bundle.model.sha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…). It was not run, and the copy on this device was removed. `
      + 'Reload to fetch it again; if this happens again, tell the clinfer administrator.');
  }
  if (cache && !(cachedBundle && cachedModel)) {
    await cache.put(new URL(bundlePath, location.origin), stored(bundleBytes, 'application/json'));
    await cache.put(new URL(modelPath, location.origin), stored(model, 'application/octet-stream'));
  }
  return { bundle, model, fromCache: Boolean(cachedBundle && cachedModel) };
}

/** The version's bundle.json alone (the start page shows each model's regulatory status), cached or fetched. */
export async function loadBundleJson(meta: ModelMetadata): Promise<BundleJson> {
  const cache = typeof caches === 'undefined' ? undefined : await caches.open(CACHE).catch(() => undefined);
  const path = `${filesBase(meta)}bundle.json${digestTag(meta)}`;
  const cached = await cache?.match(new URL(path, location.origin));
  return JSON.parse(new TextDecoder().decode(cached ? new Uint8Array(await cached.arrayBuffer()) : await download(path))) as BundleJson;
}

/** Whether this device holds both files of the version (so it opens offline). */
export async function hasBundleFiles(meta: ModelMetadata): Promise<boolean> {
  const cache = typeof caches === 'undefined' ? undefined : await caches.open(CACHE).catch(() => undefined);
  if (!cache) return false;
  const cached = await cache.match(new URL(`${filesBase(meta)}bundle.json${digestTag(meta)}`, location.origin));
  if (!cached) return false;
  const bundle = (await cached.json()) as BundleJson;
  return (await cache.match(new URL(`${filesBase(meta)}${encodeURIComponent(bundle.model.file)}${digestTag(meta)}`, location.origin))) !== undefined;
}

const filesBase = (meta: ModelMetadata) => `/v1/models/${encodeURIComponent(meta.name)}/versions/${encodeURIComponent(meta.version)}/files/`;
const digestTag = (meta: ModelMetadata) => `?digest=${meta.bundle_digest.slice(0, 16)}`;

async function download(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await apiFetch(path)).arrayBuffer());
}

function stored(bytes: Uint8Array, type: string): Response {
  return new Response(bytes as BodyInit, { headers: { 'content-type': type, 'content-length': String(bytes.byteLength) } });
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
