import type { RequestHandler } from 'express';
import type { Config } from '../config/config-schema.js';

/** One year, as the HSTS preload list asks; no includeSubDomains: other hosts of the hospital are not ours to bind. */
const HSTS = 'max-age=31536000';

/**
 * Headers every answer carries. `Cache-Control: no-store`: predictions, model lists and errors are not
 * kept by browsers or proxies (a shared workstation, a caching proxy). Routes that serve files meant to be
 * cached (the web app's assets, a model's bundle files) set their own Cache-Control, which replaces this
 * one. `Strict-Transport-Security` when the server speaks TLS: a browser never falls back to plain HTTP.
 */
export function securityHeaders(config: Pick<Config, 'tlsCertFile' | 'adminListener'>): RequestHandler {
  // Either listener on TLS: browsers ignore the header on a plain-HTTP answer (RFC 6797 8.1), so it is safe on both.
  const tls = config.tlsCertFile !== undefined || config.adminListener?.tlsCertFile !== undefined;
  // Decided once: per request, only node's setHeader (res.set would re-check each name for Content-Type).
  if (!tls) {
    return (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    };
  }
  return (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Strict-Transport-Security', HSTS);
    next();
  };
}
