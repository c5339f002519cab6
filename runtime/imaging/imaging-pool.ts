import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ClinferError } from '../errors/index.js';
import { moduleExecArgv, siblingModule } from '../util/own-files.js';
import { isPiscinaQueueFull } from '../util/piscina-errors.js';
import type { PrepareResult, PrepareTask } from './prepare-image.js';

const WORKER_URL = siblingModule(import.meta.url, 'imaging-worker');

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
      execArgv: moduleExecArgv(),
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
