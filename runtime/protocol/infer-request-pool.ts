import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ClinferError, type ErrorCode } from '../errors/index.js';
import { moduleExecArgv, siblingModule } from '../util/own-files.js';
import { isPiscinaQueueFull } from '../util/piscina-errors.js';
import { parseInferRequest, type InferRequest, type RequestModel } from './infer-request.js';

const WORKER_URL = siblingModule(import.meta.url, 'infer-request-worker');

/**
 * JSON text up to this size is parsed on the event loop (about 15 ms per MiB here: JSON.parse plus the
 * decoding into typed arrays); a larger JSON part goes to a parsing thread, so one 60 MB body cannot hold
 * every other request for seconds. Binary tensor data is never parsed, only copied, and stays inline.
 */
export const INLINE_JSON_BYTES = 1024 * 1024;

export interface ParseTask {
  readonly body: Uint8Array;
  readonly headerLength: string | undefined;
  readonly model: RequestModel;
}

export type ParseResult = { readonly ok: true; readonly request: InferRequest } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** Parses OIP infer requests: small JSON inline, large JSON on threads that start on first use. */
export class InferRequestParser {
  readonly #options: { threads: number; maxQueue: number; inlineBytes: number };
  #piscina: Piscina | undefined;

  constructor(options: { threads: number; maxQueue: number; inlineBytes?: number }) {
    this.#options = { inlineBytes: INLINE_JSON_BYTES, ...options };
  }

  async parse(body: Buffer, headerLength: string | undefined, model: RequestModel): Promise<InferRequest> {
    if (jsonBytes(body, headerLength) <= this.#options.inlineBytes) return parseInferRequest(body, headerLength, model);
    const slim: RequestModel = { name: model.name, inputs: model.inputs, outputs: model.outputs, unsupportedOutputs: model.unsupportedOutputs, maxBatchSize: model.maxBatchSize };
    let result: ParseResult;
    try {
      // The thread reads shared memory in place (the body reader puts bodies there); anything else is
      // copied there once, which costs half of what posting the Buffer (a clone) would. The caller keeps
      // its body either way (e.g. for the audit digest).
      const shared = body.buffer instanceof SharedArrayBuffer ? body : new Uint8Array(new SharedArrayBuffer(body.byteLength));
      if (shared !== body) shared.set(body);
      result = (await this.#pool().run({ body: shared, headerLength, model: slim } satisfies ParseTask)) as ParseResult;
    } catch (error) {
      if (isPiscinaQueueFull(error)) throw new ClinferError('QUEUE_FULL', 'too many large JSON requests are waiting to be parsed; retry shortly', { retryAfterSeconds: 1 });
      throw new ClinferError('INTERNAL', 'parsing the request failed inside clinfer', { cause: error });
    }
    if (!result.ok) throw new ClinferError(result.code, result.message);
    return result.request;
  }

  async close(): Promise<void> {
    await this.#piscina?.destroy();
  }

  #pool(): Piscina {
    this.#piscina ??= new Piscina({
      filename: fileURLToPath(WORKER_URL),
      minThreads: 0,
      maxThreads: this.#options.threads,
      idleTimeout: 60_000,
      maxQueue: this.#options.maxQueue,
      execArgv: moduleExecArgv(),
    });
    return this.#piscina;
  }
}

/** How many bytes of the body are JSON: all of it, or the Inference-Header-Content-Length (0 when malformed: parsed inline, refused there). */
function jsonBytes(body: Buffer, headerLength: string | undefined): number {
  if (headerLength === undefined) return body.byteLength;
  return /^\d+$/.test(headerLength.trim()) ? Math.min(Number(headerLength), body.byteLength) : 0;
}
