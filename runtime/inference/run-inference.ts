import { outputSummary } from '../monitoring/drift-monitor.js';
import { applyClassification } from '../protocol/classification.js';
import type { InferRequest } from '../protocol/infer-request.js';
import { refuseOversizedJsonOutputs } from '../protocol/json-output-size.js';
import { readSchedulingParameters } from '../protocol/scheduling-parameters.js';
import { readSequenceParameters } from '../protocol/sequence-parameters.js';
import type { ReadyVersion } from '../repository/model-version.js';
import type { Tensor } from '../tensor/tensor.js';

/** One decoded, validated request for a resolved version, as a transport hands it over. */
export interface InferenceCall {
  readonly version: ReadyVersion;
  /** Inputs already decoded and checked against the version's config (protocol/infer-request.ts). */
  readonly request: InferRequest;
  /** Aborted when the caller goes away: a request still queued is then dropped, not run. */
  readonly signal: AbortSignal;
  /** Clinfer-Priority and Clinfer-Timeout headers (HTTP); a request parameter wins over them. */
  readonly headers?: { readonly priority?: string | undefined; readonly timeout?: string | undefined };
  /** The transport's own deadline in ms from now (gRPC), used when the request sets no timeout. */
  readonly deadlineMs?: number | undefined;
  /** The server's maxJsonResponseBytes: JSON outputs that cannot fit are refused before the model runs. */
  readonly maxJsonResponseBytes: number;
}

/**
 * What both transports (HTTP and gRPC) do with a decoded request: refuse JSON outputs too large to
 * encode, read the scheduling and sequence parameters, observe drift on the inputs (before their buffers
 * travel to a worker) and on the outputs, run it through the version's scheduler, and apply the
 * classification extension. Resolves with the requested outputs, in the order requested. Accounting
 * (metrics, audit) is the transport's `countRequest` around it, which also resolves the version.
 */
export async function runInference(call: InferenceCall): Promise<Tensor[]> {
  const { version: v, request } = call;
  const config = v.config;
  refuseOversizedJsonOutputs(config, request.outputs, request.inputs[0]?.shape[0] ?? 1, call.maxJsonResponseBytes);
  const scheduling = readSchedulingParameters(request.parameters, call.headers ?? {});
  const sequence = readSequenceParameters(request.parameters, config);
  const timeoutMs = scheduling.timeoutMs ?? (call.deadlineMs !== undefined && call.deadlineMs > 0 ? call.deadlineMs : undefined);
  // Drift: feature columns for tabular models, sampled intensities for the others.
  const monitored = v.drift ? (config.tabular ? request.inputs.find((t) => t.name === config.tabular!.input) : request.inputs[0]) : undefined;
  const monitoredRows = monitored && config.maxBatchSize > 1 ? monitored.shape[0] ?? 1 : 1;
  if (monitored && !Array.isArray(monitored.data)) {
    if (config.tabular) v.drift!.observeInputs(monitored.data as Float32Array, monitoredRows);
    else v.drift!.observeIntensity(monitored.data as Float32Array);
  }
  const result = await v.scheduler.enqueue({
    inputs: request.inputs, fetches: request.outputs.map((o) => o.name), signal: call.signal,
    priority: scheduling.priority, timeoutMs, ...(sequence ? { sequence } : {}),
  });
  if (monitored) {
    const post = config.bundle?.postprocessing as { kind?: string; output?: string } | undefined;
    const observed = result.outputs.find((o) => o.name === (post?.output ?? config.outputs[0]!.name));
    if (observed && !Array.isArray(observed.data)) v.drift!.observeOutputs(outputSummary(post?.kind, observed.data as Float32Array, monitoredRows));
  }
  const classified = applyClassification(result.outputs, request.outputs, config.bundle?.labels.map((l) => l.id) ?? [], config.maxBatchSize > 0);
  return request.outputs.map((r) => classified.find((o) => o.name === r.name)!);
}
