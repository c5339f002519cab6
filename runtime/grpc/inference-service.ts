import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { authorizeCall } from './grpc-access.js';
import { ClinferError, isClinferError } from '../errors/index.js';
import { grpcStatusFromError } from '../errors/grpc-status.js';
import { countRequest } from '../metrics/count-request.js';
import type { AppContext } from '../http/app-context.js';
import { encodeBinaryData } from '../protocol/binary-tensor.js';
import { parseInferRequest } from '../protocol/infer-request.js';
import { readSchedulingParameters } from '../protocol/scheduling-parameters.js';
import { requireReady, type ModelVersion } from '../repository/model-version.js';
import { DATATYPES, isDatatype } from '../tensor/datatypes.js';
import { contentsToBytes, type TensorContents } from './tensor-contents.js';

type Parameter = { bool_param?: boolean; int64_param?: string | number; string_param?: string; parameter_choice?: string };
interface InferInput { name: string; datatype: string; shape: (string | number)[]; parameters?: Record<string, Parameter>; contents?: TensorContents }
interface ModelInferRequest {
  model_name: string; model_version: string; id: string;
  parameters?: Record<string, Parameter>;
  inputs: InferInput[];
  outputs?: { name: string }[];
  raw_input_contents?: Buffer[];
}

const paramValue = (p: Parameter | undefined): unknown => {
  if (!p) return undefined;
  if (p.parameter_choice === 'int64_param' || p.int64_param !== undefined) return Number(p.int64_param);
  if (p.parameter_choice === 'bool_param' || p.bool_param !== undefined) return p.bool_param;
  return p.string_param;
};

/**
 * inference.GRPCInferenceService: the Open Inference Protocol over gRPC, through the same repository,
 * request validation, scheduler, metrics and errors as the HTTP API.
 */
export function inferenceService(ctx: AppContext): UntypedServiceImplementation {
  const callers = new WeakMap<object, string>();
  const unary = <Req, Res>(method: string, work: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      let release: (() => void) | undefined;
      Promise.resolve()
        .then(async () => {
          // The access rule declared for the method (grpc-access.ts), rate-limited per caller like HTTP.
          const identity = await authorizeCall(ctx.config, ctx.auth, method, call, ctx.audit && ((error, who) => ctx.audit!.recordAccessDenied({
            source: call.getPeer().replace(/:\d+$/, ''), caller: who?.name, method, route: method, status: grpcStatusFromError(error), code: error.code, transport: 'grpc',
          })));
          if (!identity) return;
          callers.set(call, identity.name);
          if (ctx.rateLimiter && ctx.auth.enabled) release = ctx.rateLimiter.admit(identity.name);
        })
        .then(() => work(call.request, call))
        .finally(() => release?.())
        .then((res) => callback(null, res))
        .catch((error: unknown) => {
          const known = isClinferError(error) ? error : new ClinferError('INTERNAL', 'internal error', { cause: error });
          if (!isClinferError(error)) ctx.log.error('internal error', { route: 'grpc', error: (error as Error)?.message?.split('\n')[0] });
          callback({ code: grpcStatusFromError(known), details: known.message, name: known.code, message: known.message });
        });
    };

  const resolve = (name: string, version: string): ModelVersion => ctx.repository.resolve(name, version === '' ? undefined : version);

  return {
    ServerLive: unary('ServerLive', () => ({ live: true })),
    ServerReady: unary('ServerReady', () => ({ ready: ctx.repository.readiness().ready && !ctx.isShuttingDown() })),
    ModelReady: unary('ModelReady', (req: { name: string; version: string }) => ({ ready: resolve(req.name, req.version).state === 'READY' })),
    ServerMetadata: unary('ServerMetadata', () => ({ name: 'clinfer', version: ctx.version, extensions: ['binary_tensor_data', 'model_repository'] })),
    ModelMetadata: unary('ModelMetadata', (req: { name: string; version: string }) => {
      const c = requireReady(resolve(req.name, req.version)).config;
      return { name: c.name, versions: ctx.repository.versionsOf(c.name), platform: c.platform, inputs: c.inputs, outputs: c.outputs };
    }),
    ModelInfer: unary('ModelInfer', (req: ModelInferRequest, call) => countRequest(ctx, callers.get(call) ?? 'anonymous', undefined, async (note) => {
        note({ requestedModel: req.model_name, transport: 'grpc' });
        const v = requireReady(resolve(req.model_name, req.model_version));
        note({ model: v.name, version: v.version, bundleDigest: v.config.digest, requestId: req.id || undefined });
        const raw = req.raw_input_contents ?? [];
        const rawBytes = raw.reduce((n, b) => n + b.byteLength, 0);
        if (rawBytes > v.config.maxRequestBytes) {
          throw new ClinferError('BODY_TOO_LARGE', `raw_input_contents holds ${rawBytes} bytes, over model '${v.name}' version ${v.version}'s max_request_bytes (${v.config.maxRequestBytes})`);
        }
        if (raw.length > 0 && raw.length !== req.inputs.length) {
          throw new ClinferError('INVALID_REQUEST', `raw_input_contents holds ${raw.length} entries for ${req.inputs.length} inputs: give one per input, in order, or none`);
        }
        // Re-express the request in the binary tensor data extension and parse it with the HTTP code.
        const chunks = req.inputs.map((input, i) => {
          if (!raw.length) return contentsToBytes(input.name, input.datatype, input.shape.map(Number), input.contents);
          const size = isDatatype(input.datatype) ? DATATYPES[input.datatype].size : 0;
          const needed = size * input.shape.map(Number).reduce((a, b) => a * b, 1);
          if (size > 0 && raw[i]!.byteLength !== needed) {
            throw new ClinferError('INVALID_INPUT', `input '${input.name}': raw_input_contents[${i}] holds ${raw[i]!.byteLength} bytes, shape [${input.shape.join(',')}] of ${input.datatype} needs ${needed}`);
          }
          return raw[i]!;
        });
        const header = Buffer.from(JSON.stringify({
          ...(req.id ? { id: req.id } : {}),
          inputs: req.inputs.map((input, i) => ({ name: input.name, datatype: input.datatype, shape: input.shape.map(Number), parameters: { binary_data_size: chunks[i]!.byteLength } })),
          ...(req.outputs?.length ? { outputs: req.outputs.map((o) => ({ name: o.name })) } : {}),
        }));
        // The audit log keeps the HMAC of the tensor bytes (raw or from contents), in input order.
        note({ input: Buffer.concat(chunks) });
        const request = parseInferRequest(Buffer.concat([header, ...chunks]), String(header.byteLength), v.config);
        const params = req.parameters ?? {};
        const grpcDeadline = call.getDeadline();
        const deadlineMs = grpcDeadline instanceof Date ? grpcDeadline.getTime() - Date.now() : Number.isFinite(grpcDeadline) ? Number(grpcDeadline) - Date.now() : undefined;
        const scheduling = readSchedulingParameters({ priority: paramValue(params.priority), timeout: paramValue(params.timeout) }, {});
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        const result = await v.scheduler.enqueue({
          inputs: request.inputs, fetches: request.outputs.map((o) => o.name), signal: abort.signal,
          priority: scheduling.priority,
          timeoutMs: scheduling.timeoutMs ?? (deadlineMs !== undefined && deadlineMs > 0 ? deadlineMs : undefined),
        });
        const outputs = request.outputs.map((r) => result.outputs.find((o) => o.name === r.name)!);
        return {
          model_name: v.name, model_version: v.version, id: req.id,
          parameters: { bundle_digest: { string_param: v.config.digest } },
          outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
          raw_output_contents: outputs.map((o) => encodeBinaryData(o.datatype, o.data)),
        };
    })),
  };
}
