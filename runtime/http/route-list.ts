import type { Express } from 'express';
import { declarationOf, type RouteDeclaration } from './route-table.js';

/** One endpoint as express will match it, with the declaration its guard was built from (if any). */
export interface ListedRoute {
  readonly method: string;
  readonly path: string;
  readonly declaration: RouteDeclaration | undefined;
}

interface Layer {
  readonly rawPath?: unknown;
  readonly handle: { readonly stack?: readonly Layer[] } & ((...args: never[]) => unknown);
  readonly route?: { readonly path: string; readonly methods: Record<string, boolean>; readonly stack: readonly Layer[] };
}

/**
 * Every endpoint registered on an app, read from express's own router stack (not from a list kept
 * beside it), so that an endpoint added any other way than through RouteTable shows up undeclared. A
 * mounted sub-router behind a guard is one entry (`USE`); an unguarded one is walked into.
 */
export function listRoutes(app: Express): ListedRoute[] {
  const stack = (app as unknown as { router: { stack: readonly Layer[] } }).router.stack;
  const found: ListedRoute[] = [];
  walk(stack, '', found);
  return found;
}

function walk(stack: readonly Layer[], prefix: string, found: ListedRoute[]): void {
  let guardedMount: string | undefined;
  for (const layer of stack) {
    const path = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    if (layer.route) {
      const declaration = declarationOf(layer.route.stack[0]?.handle);
      for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
        found.push({ method: method.toUpperCase(), path: prefix + layer.route.path, declaration });
      }
      continue;
    }
    const declaration = declarationOf(layer.handle);
    if (declaration) {
      found.push({ method: 'USE', path: prefix + path, declaration });
      guardedMount = prefix + path;
      continue;
    }
    if (layer.handle.stack && guardedMount !== prefix + path) walk(layer.handle.stack, prefix + path, found);
  }
}
