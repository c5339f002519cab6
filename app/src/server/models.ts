import { AppError } from '../errors.js';
import { apiFetch } from './api.js';

/** One line of POST /v2/repository/index. */
export interface IndexEntry {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly reason?: string;
}

/** The part of GET /v2/models/{m} the page uses. */
export interface ModelMetadata {
  readonly name: string;
  readonly version: string;
  readonly versions: string[];
  readonly inputs: { name: string; datatype: string; shape: number[] }[];
  readonly outputs: { name: string; datatype: string; shape: number[] }[];
  readonly bundle_digest: string;
  readonly metadata_source: 'bundle' | 'autofill';
}

export interface Fetched<T> {
  readonly value: T;
  /** True when the server could not be reached and the copy saved on an earlier visit was used. */
  readonly offline: boolean;
}

/**
 * The last answers are kept in the Cache API so the page still lists and opens the models it used before
 * when the server is out of reach (offline: the bundle files are cached too, see bundle/bundle-cache.ts).
 */
const SAVED = 'clinfer-api';
const savedUrl = (key: string) => new URL(`${import.meta.env.BASE_URL}__saved__/${key}`, location.origin).href;

export async function listModels(): Promise<Fetched<IndexEntry[]>> {
  return withSavedCopy('index.json', async () => (await (await apiFetch('/v2/repository/index', { method: 'POST' })).json()) as IndexEntry[]);
}

export async function modelMetadata(name: string): Promise<Fetched<ModelMetadata>> {
  return withSavedCopy(metadataKey(name), async () => (await (await apiFetch(`/v2/models/${encodeURIComponent(name)}`)).json()) as ModelMetadata);
}

/** The copy of an answer saved on an earlier visit, without asking the server (undefined when none). */
export async function savedCopy<T>(key: string): Promise<T | undefined> {
  const cache = typeof caches === 'undefined' ? undefined : await caches.open(SAVED).catch(() => undefined);
  const saved = await cache?.match(savedUrl(key)).catch(() => undefined);
  return saved ? ((await saved.json()) as T) : undefined;
}

export const metadataKey = (name: string) => `models/${encodeURIComponent(name)}.json`;

async function withSavedCopy<T>(key: string, load: () => Promise<T>): Promise<Fetched<T>> {
  const cache = typeof caches === 'undefined' ? undefined : await caches.open(SAVED).catch(() => undefined);
  try {
    const value = await load();
    await cache?.put(savedUrl(key), new Response(JSON.stringify(value), { headers: { 'content-type': 'application/json' } })).catch(() => undefined);
    return { value, offline: false };
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'OFFLINE') throw error;
    const saved = await cache?.match(savedUrl(key));
    if (!saved) throw error;
    return { value: (await saved.json()) as T, offline: true };
  }
}
