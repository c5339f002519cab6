import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { ClinferError } from '../errors/index.js';
import type { AppContext } from '../app-context.js';
import { requireReady, type ModelVersion } from '../repository/model-version.js';
import { unaryMethods } from './unary.js';
import { modelInfer, type ModelInferRequest } from './model-infer.js';
import { modelStreamInfer } from './stream-infer.js';
import { SERVER_EXTENSIONS } from '../protocol/extensions.js';
import { repositoryMethods } from './repository-service.js';
import { modelConfigView, statisticsView } from '../protocol/triton-views.js';

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
    ModelInfer: unary('ModelInfer', (req: ModelInferRequest, call, caller) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      return modelInfer(ctx, req, caller, { deadline: call.getDeadline(), signal: abort.signal });
    }),
    ModelStreamInfer: modelStreamInfer(ctx),
  };
}
