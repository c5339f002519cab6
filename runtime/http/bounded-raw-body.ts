import express, { type Request, type RequestHandler } from 'express';
import { ClinferError } from '../errors/index.js';

/**
 * The request body as one Buffer (`req.body`, in a SharedArrayBuffer when Content-Length was given and
 * `reservations` allow it), bounded by `limit`: a Content-Length over it is refused
 * 413 before a byte is read, a chunked body as soon as the bytes read pass it, and the connection then
 * closes instead of taking in the rest. (express.raw reads a refused body to its very end before it
 * answers: a 2 GiB upload was read in full to be told 413.) A compressed body (Content-Encoding) goes
 * through express.raw as before, which bounds the inflated size.
 */
/**
 * Shared body buffers are allocated at the declared Content-Length before the bytes arrive. These are the
 * bytes set aside that way for bodies still arriving: past `ceiling`, a body is collected chunk by chunk
 * (memory then follows what was received; one copy more at the end), so that slow or silent clients
 * declaring large bodies cannot make the server reserve more than `ceiling` between them.
 */
export class BodyReservations {
  #reserved = 0;
  constructor(readonly ceiling: number) {}
  take(bytes: number): boolean {
    if (this.#reserved + bytes > this.ceiling) return false;
    this.#reserved += bytes;
    return true;
  }
  give(bytes: number): void {
    this.#reserved -= bytes;
  }
  get reserved(): number {
    return this.#reserved;
  }
}

/** The default ceiling of BodyReservations: four 64 MiB tensors arriving at once. */
export const DEFAULT_BODY_RESERVATION_BYTES = 256 * 1024 * 1024;

export function boundedRawBody(limitOf: number | ((req: Request) => number), reservations = new BodyReservations(DEFAULT_BODY_RESERVATION_BYTES)): RequestHandler {
  const inflating = new Map<number, RequestHandler>();
  return (req, res, next) => {
    const limit = typeof limitOf === 'function' ? limitOf(req) : limitOf;
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      let parser = inflating.get(limit);
      if (!parser) inflating.set(limit, (parser = express.raw({ type: () => true, limit })));
      return parser(req, res, next);
    }
    const tooLarge = () => {
      // Node's setHeader (what res.set does for this header): the infer fast path gives node's objects.
      res.setHeader('Connection', 'close');
      return new ClinferError('BODY_TOO_LARGE', `the request body exceeds the limit of ${limit} bytes`);
    };
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > limit) return next(tooLarge());
    // With a Content-Length the body goes straight into shared memory as it arrives: no concatenation
    // at the end, a parsing thread can read it in place (see protocol/infer-request-pool.ts), and the
    // input tensors are views into it that a worker thread reads without a copy on this thread.
    const reserve = declared !== undefined && Number.isSafeInteger(declared) && declared > 0 && reservations.take(declared) ? declared : 0;
    const into = reserve > 0 ? sharedBody(reserve, headerLengthOf(req)) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (error?: ClinferError) => {
      if (done) return;
      done = true;
      if (reserve > 0) reservations.give(reserve);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) {
        req.pause();
        return next(error);
      }
      req.body = into ?? Buffer.concat(chunks, received);
      next();
    };
    const onData = (chunk: Buffer) => {
      if (into && received + chunk.byteLength > into.byteLength) return finish(new ClinferError('INVALID_REQUEST', 'the request body length does not match Content-Length'));
      if (into) chunk.copy(into, received);
      else chunks.push(chunk);
      received += chunk.byteLength;
      if (received > limit) return finish(tooLarge());
    };
    const onEnd = () => finish(declared !== undefined && received !== declared ? new ClinferError('INVALID_REQUEST', 'the request body length does not match Content-Length') : undefined);
    const onError = () => finish(new ClinferError('INVALID_REQUEST', 'the client aborted the request body'));
    const onClose = () => { if (!req.complete) onError(); };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  };
}

/** The OIP Inference-Header-Content-Length (where binary tensor data start), 0 when absent or malformed. */
function headerLengthOf(req: Request): number {
  const value = req.headers['inference-header-content-length'];
  const n = typeof value === 'string' ? Number(value) : 0;
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * A body buffer in shared memory, placed so that the byte at `alignAt` (the end of an OIP JSON header:
 * where binary tensor data start) lies on an 8-byte boundary, so those data decode as views, not copies
 * (protocol/binary-tensor.ts). (Carving bodies from larger shared slabs was tried: no cheaper here, the
 * cost is in first touching the pages, not in the allocation.)
 */
function sharedBody(length: number, alignAt: number): Buffer {
  const pad = (8 - (alignAt % 8)) % 8;
  return Buffer.from(new SharedArrayBuffer(length + pad), pad, length);
}
