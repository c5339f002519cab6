import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extname, join, resolve, sep } from 'node:path';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { PACKAGE_ROOT } from '../../util/own-files.js';
import { acceptedEncodings, PRECOMPRESSED } from './content-encoding.js';

/** Where `npm run build:app` (vite build -c app/vite.config.ts) writes the web app. */
export const WEB_APP_DIST = fileURLToPath(new URL('app/dist', PACKAGE_ROOT));

export interface WebAppOptions {
  /** The built app (index.html, sw.js, assets/). */
  readonly distDir: string;
  /** Origins allowed to frame the app (CSP frame-ancestors), besides the server's own. */
  readonly frameAncestors: readonly string[];
  /**
   * COOP same-origin + COEP require-corp, so the page is cross-origin isolated and ONNX Runtime runs
   * on several threads. Off: one thread, for a deployment whose proxy cannot pass these headers.
   */
  readonly crossOriginIsolation: boolean;
}

/** An origin as CSP takes it: scheme://host[:port], nothing that could end the directive. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/;

/**
 * The clinician's web app, mounted at /app (issue 6). It runs the models in the browser: the page fetches
 * itself, the model list, metadata and bundle files, and sends nothing else. The headers lock it to
 * its own origin (CSP, CORP), make it cross-origin isolated for threaded WASM, and let only the
 * configured hosts frame it. index.html and sw.js are revalidated on every load; assets/ holds hashed
 * or versioned names, cached for good. A file the build also wrote as .br or .gz is sent in the best
 * encoding the request accepts, with Content-Encoding and Vary: Accept-Encoding (compressed once, at
 * build time: ONNX Runtime's 14 MB WASM binary travels as 2.7 MB).
 */
export function webAppRoutes(options: WebAppOptions): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const ancestors = ["'self'", ...options.frameAncestors.filter((o) => ORIGIN.test(o))].join(' ');
  const csp = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "connect-src 'self'",
    "img-src 'self' blob: data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
  const root = resolve(options.distDir) + sep;
  const assets = join(root, 'assets') + sep;
  const encodingOf = new Map<string, string>(PRECOMPRESSED.map((p) => [p.extension, p.encoding]));
  const files = express.static(options.distDir, {
    index: 'index.html',
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders: (res: Response, path: string) => {
      res.set('Cache-Control', path.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache');
      // A compressed copy chosen below: the type is the original file's, the encoding the copy's.
      const encoding = res.locals.precompressed === true ? encodingOf.get(extname(path)) : undefined;
      if (encoding) res.type(extname(path.slice(0, -extname(path).length))).set('Content-Encoding', encoding);
    },
  });

  /** The file a request names, when it lies inside the build; undefined for anything odd (left to send). */
  const fileOf = (req: Request): string | undefined => {
    let path: string;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      return undefined;
    }
    if (path.includes('\0')) return undefined;
    const file = resolve(root, '.' + (path.endsWith('/') ? `${path}index.html` : path));
    return file.startsWith(root) ? file : undefined;
  };

  /** Sends the best precompressed copy the request accepts, else the file itself. */
  const serve = (req: Request, res: Response, next: NextFunction) => {
    const file = fileOf(req);
    if (!file || !PRECOMPRESSED.some((p) => existsSync(file + p.extension))) return files(req, res, next);
    res.vary('Accept-Encoding');
    const choice = acceptedEncodings(req.get('Accept-Encoding')).find((p) => existsSync(file + p.extension));
    if (!choice) return files(req, res, next);
    const url = req.url;
    const query = url.indexOf('?');
    req.url = file.slice(root.length - 1).split(sep).map(encodeURIComponent).join('/') + choice.extension + (query >= 0 ? url.slice(query) : '');
    res.locals.precompressed = true;
    files(req, res, (error?: unknown) => {
      // The copy went away under us (a rebuild): the file itself, uncompressed.
      req.url = url;
      res.locals.precompressed = false;
      if (error) return next(error);
      files(req, res, next);
    });
  };

  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const query = req.originalUrl.indexOf('?');
    if ((query >= 0 ? req.originalUrl.slice(0, query) : req.originalUrl) === '/app') {
      // The bare /app: the page's relative URLs need the slash.
      res.redirect(301, `/app/${query >= 0 ? req.originalUrl.slice(query) : ''}`);
      return;
    }
    // A host page that is itself cross-origin isolated (COEP require-corp or credentialless, as PACS viewers
    // are) may frame only a document that allows it by CORP: the page (not its assets) says cross-origin
    // when hosts are configured; frame-ancestors still names which hosts may frame it.
    const page = req.path === '/' || req.path === '/index.html';
    res.set({
      'Content-Security-Policy': csp,
      'Cross-Origin-Resource-Policy': page && ancestors !== "'self'" ? 'cross-origin' : 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...(options.crossOriginIsolation ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
    });
    if (!existsSync(join(options.distDir, 'index.html'))) {
      res.status(503).type('text/plain').set('Cache-Control', 'no-store')
        .send('the web app is not built: run npm run build:app (it writes app/dist), then reload this page\n');
      return;
    }
    serve(req, res, next);
  });
  return router;
}
