import type { AppContext } from '../app-context.js';
import { modelControlRefusal } from '../model-control.js';
import { overrideFromLoadParameters } from '../model/config-override.js';
import { ClinferError } from '../errors/index.js';
import type { unaryMethods } from './unary.js';

type RepositoryParameter = { bool_param?: boolean; int64_param?: string | number; string_param?: string; bytes_param?: Buffer; parameter_choice?: string };
interface ModelRequest { repository_name: string; model_name: string; parameters?: Record<string, RepositoryParameter> }

const valueOf = (p: RepositoryParameter): unknown =>
  p.parameter_choice ? p[p.parameter_choice as keyof RepositoryParameter] : p.string_param ?? p.int64_param ?? p.bool_param ?? p.bytes_param;

/**
 * Triton's model repository extension over gRPC: index, load (with a `config` override), unload,
 * through the same repository, authorisation (grpc-access.ts), listener rule and audit as HTTP.
 * clinfer serves one repository: a repository_name, when given, is ignored as Triton does with one.
 */
export function repositoryMethods(ctx: AppContext, unary: ReturnType<typeof unaryMethods>) {
  const control = () => {
    const refusal = modelControlRefusal(ctx.config, 'api');
    if (refusal) throw refusal;
  };
  const named = (req: ModelRequest): string => {
    if (!req.model_name) throw new ClinferError('INVALID_REQUEST', 'model_name is empty');
    return req.model_name;
  };
  const audited = async (action: 'load' | 'unload', model: string, caller: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      await ctx.audit?.append({ action, caller, model, version: '', outcome: (error as { code?: string }).code ?? 'INTERNAL' });
      throw error;
    }
    await ctx.audit?.append({ action, caller, model, version: '', outcome: 'success' });
  };
  return {
    RepositoryIndex: unary('RepositoryIndex', (req: { ready: boolean }) => ({
      models: ctx.repository.index().filter((e) => !req.ready || e.state === 'READY'),
    })),
    RepositoryModelLoad: unary('RepositoryModelLoad', async (req: ModelRequest, _call, caller) => {
      control();
      const model = named(req);
      const parameters = Object.fromEntries(Object.entries(req.parameters ?? {}).map(([k, p]) => [k, valueOf(p)]));
      const override = overrideFromLoadParameters(model, parameters);
      await audited('load', model, caller, () => ctx.repository.load(model, override));
      return {};
    }),
    RepositoryModelUnload: unary('RepositoryModelUnload', async (req: ModelRequest, _call, caller) => {
      control();
      const model = named(req);
      // Triton's unload takes unload_dependents, meaningless here (no ensembles); any other is refused.
      const other = Object.keys(req.parameters ?? {}).find((k) => k !== 'unload_dependents');
      if (other) throw new ClinferError('INVALID_PARAMETER', `parameters.${other.slice(0, 60)} is not an unload parameter clinfer reads`);
      await audited('unload', model, caller, () => ctx.repository.unload(model));
      return {};
    }),
  };
}
