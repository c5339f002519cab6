import { setMaxListeners } from 'node:events';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { hasListedCode, toClinferError } from '../errors/index.js';
import { grpcStatusFromError } from '../errors/grpc-status.js';
import type { AppContext } from '../app-context.js';
import { authorizeCall } from './grpc-access.js';
import { modelInfer, type ModelInferRequest } from './model-infer.js';

interface StreamResponse { error_message: string; infer_response?: unknown }

/**
 * Requests of one stream accepted and not yet answered. Past this the stream is paused (HTTP/2 flow
 * control then holds the client back): answers wait for the earliest request, so without a bound a
 * fast writer behind one slow request would pile up answers in memory.
 */
export const STREAM_MAX_IN_FLIGHT = 64;

/**
 * ModelStreamInfer (Triton's bidirectional stream): each ModelInferRequest of the stream is one
 * inference, exactly as ModelInfer (validation, scheduler, metrics, audit), and is answered by one
 * ModelStreamInferResponse: `infer_response`, or `error_message` with the stream left open, as Triton
 * does. Requests run concurrently; responses are written in the order the requests came, so a client
 * sending a series (chunks of one signal) reads its answers in that order. The caller is
 * authenticated once, when the stream opens; a refusal ends the stream with its status. When the client
 * goes away, its queued requests are dropped, not run.
 */
export function modelStreamInfer(ctx: AppContext) {
  return (call: ServerDuplexStream<ModelInferRequest, StreamResponse>) => {
    const abort = new AbortController();
    // Each request in flight listens on it (the scheduler drops queued work when the client goes away).
    setMaxListeners(STREAM_MAX_IN_FLIGHT + 1, abort.signal);
    call.on('cancelled', () => abort.abort());
    const fail = (error: unknown) => {
      const known = toClinferError(error);
      call.emit('error', { code: grpcStatusFromError(known), details: known.message, name: known.code, message: known.message });
    };
    const authorized = authorizeCall(ctx.config, ctx.auth, 'ModelStreamInfer', call, ctx.audit && ((error, who) => ctx.audit!.recordAccessDenied({
      source: call.getPeer().replace(/:\d+$/, ''), caller: who?.name, method: 'ModelStreamInfer', route: 'ModelStreamInfer', status: grpcStatusFromError(error), code: error.code, transport: 'grpc',
    })));
    authorized.catch(fail);
    // The answers, chained in request order.
    let written: Promise<unknown> = authorized;
    let inFlight = 0;
    call.on('data', (req: ModelInferRequest) => {
      if (++inFlight >= STREAM_MAX_IN_FLIGHT) call.pause();
      const answer = authorized.then(async (identity) => {
        const caller = identity?.name ?? 'anonymous';
        const release = identity && ctx.rateLimiter && ctx.auth.enabled ? ctx.rateLimiter.admit(caller) : undefined;
        try {
          return { error_message: '', infer_response: await modelInfer(ctx, req, caller, { deadline: Infinity, signal: abort.signal }) };
        } finally {
          release?.();
        }
      }).catch((error: unknown): StreamResponse => {
        if (!hasListedCode(error)) ctx.log.error('internal error', { route: 'grpc stream', error: (error as Error)?.message?.split('\n')[0] });
        return { error_message: hasListedCode(error) ? `${error.code}: ${error.message}` : 'INTERNAL: internal error' };
      });
      written = Promise.all([written, answer]).then(([, response]) => {
        if (!abort.signal.aborted && !call.writableEnded) call.write(response);
        if (--inFlight < STREAM_MAX_IN_FLIGHT && call.isPaused()) call.resume();
      });
    });
    call.on('end', () => {
      void written.then(() => call.end(), () => undefined);
    });
  };
}
