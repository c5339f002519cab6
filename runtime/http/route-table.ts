import { Router, type RequestHandler } from 'express';
import type { RouteParameters } from 'express-serve-static-core';
import type { Access } from '../auth/access.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Which listener serves an endpoint. `inference`: the API port only. `control`: model control (load,
 * unload, deploy, delete, rollback, candidates): the admin listener when one is configured, else the API
 * port, and nowhere under `modelControlMode: "none"`. `shared`: both (health, the model list, metrics).
 */
export type Plane = 'inference' | 'control' | 'shared';

/** One endpoint as declared: the table SECURITY.md prints and the test walks. */
export interface RouteDeclaration {
  /** `USE` for a mounted sub-application (the web app's static files). */
  readonly method: Method | 'USE';
  readonly path: string;
  readonly access: Access;
  readonly plane: Plane;
  /** One line for the generated docs. */
  readonly summary: string;
}

export interface RouteOptions {
  readonly access: Access;
  readonly plane?: Plane;
  readonly summary: string;
}

/** How one listener treats a plane: serve it, leave it out (404), or refuse it with a coded error. */
export type PlaneDecision = { readonly serve: true } | { readonly serve: false; readonly refuse?: RequestHandler };

/** A handler whose req.params are typed from the route's path, as express's own router.get does. */
type Handler<P extends string> = RequestHandler<RouteParameters<P>>;

const DECLARATION = Symbol.for('clinfer.route-declaration');

/** The declaration an access guard was built for (read by listRoutes). */
export function declarationOf(handler: unknown): RouteDeclaration | undefined {
  return typeof handler === 'function' ? (handler as unknown as Record<symbol, RouteDeclaration | undefined>)[DECLARATION] : undefined;
}

/**
 * A strict router (case-sensitive, a trailing slash is a different path: what the router matches is
 * exactly what the guard saw) whose every endpoint starts with the access guard of its own declaration.
 * A route cannot be added without an access rule: there is no other way in.
 */
export class RouteTable {
  readonly router = Router({ caseSensitive: true, strict: true });
  readonly #guard: (access: Access) => RequestHandler;
  readonly #plane: (plane: Plane) => PlaneDecision;

  constructor(options: { guard: (access: Access) => RequestHandler; plane: (plane: Plane) => PlaneDecision }) {
    this.#guard = options.guard;
    this.#plane = options.plane;
  }

  get<P extends string>(path: P, options: RouteOptions, ...handlers: Handler<P>[]): void {
    this.#add('GET', path, options, handlers as RequestHandler[]);
  }

  post<P extends string>(path: P, options: RouteOptions, ...handlers: Handler<P>[]): void {
    this.#add('POST', path, options, handlers as RequestHandler[]);
  }

  put<P extends string>(path: P, options: RouteOptions, ...handlers: Handler<P>[]): void {
    this.#add('PUT', path, options, handlers as RequestHandler[]);
  }

  delete<P extends string>(path: P, options: RouteOptions, ...handlers: Handler<P>[]): void {
    this.#add('DELETE', path, options, handlers as RequestHandler[]);
  }

  /** Mounts a sub-router (the web app's static files) at `path`, behind the guard of `options`. */
  use(path: string, options: RouteOptions, handler: RequestHandler): void {
    const declaration = this.#declare('USE', path, options);
    const decision = this.#plane(declaration.plane);
    if (!decision.serve) return;
    this.router.use(path, this.#tagged(declaration), handler);
  }

  #add(method: Method, path: string, options: RouteOptions, handlers: RequestHandler[]): void {
    const declaration = this.#declare(method, path, options);
    const decision = this.#plane(declaration.plane);
    if (!decision.serve && !decision.refuse) return;
    const chain = decision.serve ? handlers : [decision.refuse!];
    const route = this.router.route(path) as unknown as Record<Lowercase<Method>, (...handlers: RequestHandler[]) => unknown>;
    route[method.toLowerCase() as Lowercase<Method>](this.#tagged(declaration), ...chain);
  }

  #declare(method: Method | 'USE', path: string, options: RouteOptions): RouteDeclaration {
    if (!path.startsWith('/') || (path.length > 1 && path.endsWith('/'))) throw new Error(`route path ${path} must start with / and not end with one`);
    return Object.freeze({ method, path, access: options.access, plane: options.plane ?? 'inference', summary: options.summary });
  }

  #tagged(declaration: RouteDeclaration): RequestHandler {
    const guard = this.#guard(declaration.access);
    const handler: RequestHandler = (req, res, next) => guard(req, res, next);
    Object.defineProperty(handler, DECLARATION, { value: declaration });
    return handler;
  }
}
