/**
 * The app's service worker (built to /app/sw.js): keeps the app shell on this device so the page opens
 * and runs offline. The bundle files and the last model list and metadata are kept by the page itself
 * (bundle/bundle-cache.ts, server/models.ts); this worker leaves every URL outside /app/ alone.
 *   - install: precache the shell listed by the build (index.html, scripts, styles, ONNX Runtime CPU build);
 *   - navigations and sw.js: network first (a new build is seen at once), the cached shell when offline;
 *   - other files under /app/ (hashed or versioned names): cache first, cached when first fetched.
 */
interface Manifest { build: string; precache: string[] }
interface WorkerScope {
  registration: { scope: string };
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'fetch', listener: (event: { request: Request; respondWith(r: Promise<Response>): void }) => void): void;
}

const MANIFEST = '__CLINFER_SW_MANIFEST__';
const worker = self as unknown as WorkerScope;
const { build, precache } = JSON.parse(MANIFEST) as Manifest;
const CACHE = `clinfer-app-${build}`;
const scope = worker.registration.scope;
const SHELL = new URL('./', scope).href;

worker.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(precache.map((path) => new URL(path, scope).href))).then(() => worker.skipWaiting()));
});

worker.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('clinfer-app-') && name !== CACHE) await caches.delete(name);
    await worker.clients.claim();
  })());
});

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !request.url.startsWith(scope)) return;
  const url = new URL(request.url);
  if (request.mode === 'navigate' || url.href === SHELL || url.pathname.endsWith('/sw.js')) {
    event.respondWith(networkFirst(request, request.mode === 'navigate' ? SHELL : request.url));
  } else if (!url.pathname.includes('/__saved__/')) {
    event.respondWith(cacheFirst(request));
  }
});

async function networkFirst(request: Request, fallback: string): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(fallback, { cacheName: CACHE, ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    void caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}
