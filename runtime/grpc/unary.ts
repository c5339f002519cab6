import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { hasListedCode, toClinferError } from '../errors/index.js';
import { grpcStatusFromError } from '../errors/grpc-status.js';
import type { AppContext } from '../app-context.js';
import { authorizeCall } from './grpc-access.js';

/** What a method's work receives besides its request: the call, and who made it ('anonymous' on a public method). */
export type UnaryWork<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>, caller: string) => Promise<Res> | Res;

/**
 * Wraps a unary method: the access rule declared for it (grpc-access.ts), the per-caller rate limit
 * like HTTP, then the work; a coded error (listed code) becomes its gRPC status with its message, anything else
 * INTERNAL without detail.
 */
export function unaryMethods(ctx: AppContext) {
  return <Req, Res>(method: string, work: UnaryWork<Req, Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      let release: (() => void) | undefined;
      let caller = 'anonymous';
      Promise.resolve()
        .then(async () => {
          const identity = await authorizeCall(ctx.config, ctx.auth, method, call, ctx.audit && ((error, who) => ctx.audit!.recordAccessDenied({
            source: call.getPeer().replace(/:\d+$/, ''), caller: who?.name, method, route: method, status: grpcStatusFromError(error), code: error.code, transport: 'grpc',
          })));
          if (!identity) return;
          caller = identity.name;
          if (ctx.rateLimiter && ctx.auth.enabled) release = ctx.rateLimiter.admit(identity.name);
        })
        .then(() => work(call.request, call, caller))
        .finally(() => release?.())
        .then((res) => callback(null, res))
        .catch((error: unknown) => {
          const known = toClinferError(error);
          if (!hasListedCode(error)) ctx.log.error('internal error', { route: 'grpc', error: (error as Error)?.message?.split('\n')[0] });
          callback({ code: grpcStatusFromError(known), details: known.message, name: known.code, message: known.message });
        });
    };
}
