import type { RequestHandler } from 'express';

const ALLOWED_HEADERS = 'authorization, content-type, accept-language, inference-header-content-length, clinfer-priority, clinfer-timeout';
const EXPOSED_HEADERS = 'inference-header-content-length, retry-after';

/** CORS for the configured origins only; other origins get no CORS headers (the browser blocks them). */
export function corsMiddleware(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.set({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Expose-Headers': EXPOSED_HEADERS });
      if (req.method === 'OPTIONS') {
        res.set({ 'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE', 'Access-Control-Allow-Headers': ALLOWED_HEADERS, 'Access-Control-Max-Age': '600' });
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
