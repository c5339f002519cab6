import type { ErrorRequestHandler, Express, Request, RequestHandler, Response, Router } from 'express';

/**
 * POST /v2/models/{m}[/versions/{v}]/infer handed straight to its route. Express's router walks its
 * layers for every request (the app-wide middlewares, the mounted route table, path matching and
 * parameter processing at each layer): on the 2-core bench machine about 22 µs of main-thread CPU per
 * request, 8 % of what an MNIST request costs (benchmarks/hot-path-cpu.ts, issue 16). This skips that
 * walk for these two routes and nothing else, and changes nothing a request meets:
 * - taken only when the router would reach the same route: POST, the path of exactly that shape with
 *   plain parameters (letters, digits, `.`, `_`, `-`: nothing to decode), no query string. Anything else,
 *   a trailing slash, another case, percent-encoding, goes through express as before;
 * - req and res become express's objects as express itself makes them (app.handle's own setup);
 * - the app-wide middlewares run first, in their order; then the router's own Route object dispatches
 *   its handlers (its access guard first, declared for this very path; it sets req.route);
 * - an error from any of them goes to the app's error handler, as it would after the router.
 */
export function inferFastPath(options: {
  readonly app: Express;
  readonly router: Router;
  /** The app-wide middlewares, in the order the app uses them. */
  readonly everyRequest: readonly RequestHandler[];
  /** What the app runs when no route answered (after the router). */
  readonly notFound: RequestHandler;
  readonly errorHandler: ErrorRequestHandler;
}): void {
  const serving = findRoute(options.router, '/v2/models/:model/infer');
  const version = findRoute(options.router, '/v2/models/:model/versions/:version/infer');
  // A listener that serves no inference (the admin listener) has neither route: nothing to take.
  if (!serving && !version) return;
  const app = options.app as unknown as ExpressInternals;
  const expressHandle = app.handle.bind(app);
  const { everyRequest, notFound, errorHandler } = options;

  app.handle = (req, res, callback) => {
    const match = req.method === 'POST' && !callback ? INFER_PATH.exec(req.url ?? '') : null;
    const route = match ? (match[2] === undefined ? serving : version) : undefined;
    if (!match || !route) return expressHandle(req, res, callback);
    // What app.handle does before its router (x-powered-by is disabled in createApp).
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    res.locals ??= Object.create(null);
    // What the router sets before a route runs (no mount: the base URL is empty).
    req.originalUrl ??= req.url;
    req.baseUrl = '';
    req.params = match[2] === undefined ? { model: match[1]! } : { model: match[1]!, version: match[2] };
    const failed = (error: unknown): void => {
      errorHandler(error, req, res, () => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    };
    // A route that ends without answering (none does) leaves the router as express's would: to notFound.
    const afterRoute = (error?: unknown) => {
      if (error !== undefined && error !== null && error !== 'route' && error !== 'router') failed(error);
      else run(notFound, failed);
    };
    let next = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined && error !== null) {
        failed(error);
        return;
      }
      const middleware = everyRequest[next++];
      if (middleware) run(middleware, step);
      else route.dispatch(req, res, afterRoute);
    };
    // As a router layer calls a handler: a throw or a rejected promise is passed on as an error.
    const run = (handler: RequestHandler, then: (error?: unknown) => void) => {
      try {
        const returned: unknown = handler(req, res, then);
        if (returned instanceof Promise) returned.catch((error: unknown) => then(error ?? new Error('Rejected promise')));
      } catch (thrown) {
        then(thrown);
      }
    };
    step();
  };
}

/** The two infer paths with plain parameters, nothing else (strict and case-sensitive, as the router). */
const INFER_PATH = /^\/v2\/models\/([A-Za-z0-9._-]+)(?:\/versions\/([A-Za-z0-9._-]+))?\/infer$/;

interface RouteInternals {
  readonly path: string;
  readonly methods: Record<string, boolean>;
  dispatch(req: Request, res: Response, done: (error?: unknown) => void): void;
}

interface ExpressInternals {
  handle(req: Request, res: Response, callback?: unknown): void;
  readonly request: object;
  readonly response: object;
}

/** The router's Route object for POST `path` (the route table mounts one router; routes sit in its stack). */
function findRoute(router: Router, path: string): RouteInternals | undefined {
  const stack = (router as unknown as { stack: readonly { route?: RouteInternals }[] }).stack;
  return stack.find((layer) => layer.route?.path === path && layer.route.methods.post === true)?.route;
}
