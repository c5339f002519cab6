import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * piscina's own errors for a full queue. piscina 5 makes them with factories in dist/errors.js (no class,
 * no code, not in its package exports), so they are read from there and compared by message; the unit
 * test that fills a real pool's queue pins it (a new piscina that renames them fails that test, not users).
 */
const require = createRequire(import.meta.url);
const { Errors } = require(join(dirname(require.resolve('piscina')), 'errors.js')) as { Errors: Record<'TaskQueueAtLimit' | 'NoTaskQueueAvailable', () => Error> };
const QUEUE_FULL = new Set([Errors.TaskQueueAtLimit().message, Errors.NoTaskQueueAvailable().message]);

export const isPiscinaQueueFull = (error: unknown): boolean => error instanceof Error && QUEUE_FULL.has(error.message);
