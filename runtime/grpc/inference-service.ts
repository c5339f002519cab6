import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { ClinferError } from '../errors/index.js';
import { countRequest } from '../metrics/count-request.js';
import type { AppContext } from '../http/app-context.js';
import { encodeBinaryData } from '../protocol/binary-tensor.js';
import { parseInferRequest } from '../protocol/infer-request.js';
import { readSchedulingParameters } from '../protocol/scheduling-parameters.js';
import { requireReady, type ModelVersion } from '../repository/model-version.js';
import { DATATYPES, isDatatype } from '../tensor/datatypes.js';
import { contentsToBytes, type TensorContents } from './tensor-contents.js';
import { unaryMethods } from './unary.js';
import { SERVER_EXTENSIONS } from '../protocol/extensions.js';
import { applyClassification } from '../protocol/classification.js';
import { repositoryMethods } from './repository-service.js';
import { modelConfigView, statisticsView } from '../protocol/triton-views.js';

type Parameter = { bool_param?: boolean; int64_param?: string | number; string_param?: string; parameter_choice?: string };
interface RequestedOutput { name: string; parameters?: Record<string, Parameter> }
interface InferInput { name: string; datatype: string; shape: (string | number)[]; parameters?: Record<string, Parameter>; contents?: TensorContents }
interface ModelInferRequest {
  model_name: string; model_version: string; id: string;
  parameters?: Record<string, Parameter>;
  inputs: InferInput[];
  outputs?: RequestedOutput[];
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
  const unary = unaryMethods(ctx);

  const resolve = (name: string, version: string): ModelVersion => ctx.repository.resolve(name, version === '' ? undefined : version);

  return {
    ServerLive: unary('ServerLive', () => ({ live: true })),
    ServerReady: unary('ServerReady', () => ({ ready: ctx.repository.readiness().ready && !ctx.isShuttingDown() })),
    ModelReady: unary('ModelReady', (req: { name: string; version: string }) => ({ ready: resolve(req.name, req.version).state === 'READY' })),
    ServerMetadata: unary('ServerMetadata', () => ({ name: 'clinfer', version: ctx.version, extensions: [...SERVER_EXTENSIONS] })),
    ModelMetadata: unary('ModelMetadata', (req: { name: string; version: string }) => {
      const c = requireReady(resolve(req.name, req.version)).config;
      return { name: c.name, versions: ctx.repository.versionsOf(c.name), platform: c.platform, inputs: c.inputs, outputs: c.outputs };
    }),
    ModelConfig: unary('ModelConfig', (req: { name: string; version: string }) => ({ config: modelConfigView(ctx.repository, resolve(req.name, req.version)) })),
    ModelStatistics: unary('ModelStatistics', (req: { name: string; version: string }) => {
      if (!req.name && req.version) throw new ClinferError('INVALID_REQUEST', 'a version was given without a model name');
      return statisticsView(ctx.repository, ctx.metrics.stats, req.name || undefined, req.version || undefined);
    }),
    ...repositoryMethods(ctx, unary),
    ModelInfer: unary('ModelInfer', (req: ModelInferRequest, call, caller) => countRequest(ctx, caller, undefined, async (note) => {
        note({ requestedModel: req.model_name, transport: 'grpc' });
        const v = requireReady(resolve(req.model_name, req.model_version));
        note({ model: v.name, version: v.version, bundleDigest: v.config.digest, requestId: req.id || undefined });
        const raw = req.raw_input_contents ?? [];
        const rawBytes = raw.reduce((n, b) => n + b.byteLength, 0);
        if (rawBytes > v.config.maxRequestBytes) {
          throw new ClinferError('BODY_TOO_LARGE', `raw_input_contents holds ${rawBytes} bytes, over model '${v.name}' version ${v.version}'s max_request_bytes (${v.config.maxRequestBytes})`);
        }
        // The proto: with raw_input_contents, no input may carry typed contents (which would the model get?).
        const typed = raw.length > 0 ? req.inputs.find((input) => Object.values(input.contents ?? {}).some((values) => Array.isArray(values) && values.length > 0)) : undefined;
        if (typed) throw new ClinferError('INVALID_INPUT', `input '${typed.name}' carries contents while the request carries raw_input_contents: give the data of every input one way, not both`);
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
          // Output parameters: classification (Triton's class_count) travels on; binary_data means nothing here.
          ...(req.outputs?.length ? { outputs: req.outputs.map((o) => ({ name: o.name, ...(o.parameters?.classification ? { parameters: { classification: paramValue(o.parameters.classification) } } : {}) })) } : {}),
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
        const classified = applyClassification(result.outputs, request.outputs, v.config.bundle?.labels.map((l) => l.id) ?? [], v.config.maxBatchSize > 0);
        const outputs = request.outputs.map((r) => classified.find((o) => o.name === r.name)!);
        return {
          model_name: v.name, model_version: v.version, id: req.id,
          parameters: { bundle_digest: { string_param: v.config.digest } },
          outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
          raw_output_contents: outputs.map((o) => encodeBinaryData(o.datatype, o.data)),
        };
    })),
  };
}
