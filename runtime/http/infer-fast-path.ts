import type { ErrorRequestHandler, Express, Request, RequestHandler, Response, Router } from 'express';

/**
 * POST /v2/models/{m}[/versions/{v}]/infer handed straight to its route, on node's own request and
 * response objects. For every request express gives req and res its prototypes (after which V8 meets
 * every property access on them, node's HTTP code included, unprepared) and its router walks its layers
 * (app-wide middlewares, the mounted route table, path matching at each layer). For these two routes
 * that was about a quarter of the main thread's CPU per request (benchmarks/hot-path-cpu.ts, issue 16:
 * MNIST at C=64, 258 against 182 µs). This skips both for them and changes nothing a request meets:
 * - taken only when the router would reach the same route: POST, the path of exactly that shape with
 *   plain parameters (letters, digits, `.`, `_`, `-`: nothing to decode), no query string; and only for
 *   what these handlers serve with node's objects alone: no Origin (CORS), no Content-Encoding, not
 *   draining. Anything else (a trailing slash, another case, percent-encoding...) goes through express;
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
  /** While the server drains, requests go through express (its first middleware answers them). */
  readonly draining: () => boolean;
}): void {
  const serving = findRoute(options.router, '/v2/models/:model/infer');
  const version = findRoute(options.router, '/v2/models/:model/versions/:version/infer');
  // A listener that serves no inference (the admin listener) has neither route: nothing to take.
  if (!serving && !version) return;
  const app = options.app as unknown as ExpressInternals;
  const expressHandle = app.handle.bind(app);
  const { everyRequest, notFound, errorHandler, draining } = options;

  app.handle = (req, res, callback) => {
    const h = req.headers;
    const match = !callback && req.method === 'POST' && h.origin === undefined && h['content-encoding'] === undefined && !draining()
      ? INFER_PATH.exec(req.url ?? '') : null;
    const route = match ? (match[2] === undefined ? serving : version) : undefined;
    if (!match || !route) return expressHandle(req, res, callback);
    // Node's own objects, not express's: giving req and res express's prototypes costs about 30 µs of
    // main-thread CPU a request (V8 then meets every later property access on them unprepared), more than
    // all the rest of express. What this route's handlers need is here; an error or a route ending
    // unanswered first turns them into express's objects, as app.handle would have made them.
    res.locals = Object.create(null);
    req.params = match[2] === undefined ? { model: match[1]! } : { model: match[1]!, version: match[2] };
    // req.path as express computes it (the URL's path: this URL has no query string), for messages.
    (req as { path: string }).path = req.url;
    const expressObjects = () => {
      req.res = res;
      res.req = req;
      Object.setPrototypeOf(req, app.request);
      Object.setPrototypeOf(res, app.response);
      req.originalUrl ??= req.url;
      req.baseUrl = '';
    };
    const failed = (error: unknown): void => {
      expressObjects();
      errorHandler(error, req, res, () => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    };
    // A route that ends without answering (none does) leaves the router as express's would: to notFound.
    const afterRoute = (error?: unknown) => {
      if (error !== undefined && error !== null && error !== 'route' && error !== 'router') return failed(error);
      expressObjects();
      run(notFound, failed);
    };
    let next = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined && error !== null) return failed(error);
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
