import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { ClinferError } from '../errors/index.js';
import type { PrepareResult, PrepareTask } from './prepare-image.js';

const WORKER_URL = new URL('./imaging-worker.ts', import.meta.url);

/**
 * piscina's own errors for a full queue. piscina 5 makes them with factories in dist/errors.js (no class,
 * no code, not in its package exports), so they are read from there and compared by message; the unit
 * test that fills a real pool's queue pins it (a new piscina that renames them fails that test, not users).
 */
const require = createRequire(import.meta.url);
const { Errors } = require(join(dirname(require.resolve('piscina')), 'errors.js')) as { Errors: Record<'TaskQueueAtLimit' | 'NoTaskQueueAvailable', () => Error> };
const QUEUE_FULL = new Set([Errors.TaskQueueAtLimit().message, Errors.NoTaskQueueAvailable().message]);
export const isPiscinaQueueFull = (error: unknown): boolean => error instanceof Error && QUEUE_FULL.has(error.message);

/**
 * Threads that decode and preprocess images (DICOM codecs, sharp, resize), apart from the inference
 * workers and off the event loop. Threads start on first use and stop after a quiet period.
 */
export class ImagingPool {
  readonly #piscina: Piscina;

  constructor(options: { threads: number; maxQueue: number }) {
    this.#piscina = new Piscina({
      filename: fileURLToPath(WORKER_URL),
      minThreads: 0,
      maxThreads: options.threads,
      idleTimeout: 300_000,
      maxQueue: options.maxQueue,
      execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href],
    });
    this.#piscina.on('error', () => undefined);
  }

  async prepare(task: PrepareTask, signal?: AbortSignal): Promise<PrepareResult> {
    try {
      return (await this.#piscina.run(task, signal ? { signal } : {})) as PrepareResult;
    } catch (error) {
      if (signal?.aborted) throw new ClinferError('REQUEST_CANCELLED', 'the client went away before its image was decoded');
      if (isPiscinaQueueFull(error)) throw new ClinferError('QUEUE_FULL', 'too many images are waiting to be decoded; retry shortly', { retryAfterSeconds: 1 });
      // The reason may name server files: it goes to the log (as the cause), not to the caller.
      throw new ClinferError('INTERNAL', 'decoding the image failed inside clinfer; the server log has the reason', { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.#piscina.destroy();
  }
}
