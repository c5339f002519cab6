import type { Deadline } from '@grpc/grpc-js';
import { ClinferError } from '../errors/index.js';
import type { AppContext } from '../app-context.js';
import { countRequest } from '../metrics/count-request.js';
import { encodeBinaryData } from '../protocol/binary-tensor.js';
import { applyClassification } from '../protocol/classification.js';
import { parseInferRequest } from '../protocol/infer-request.js';
import { readSchedulingParameters } from '../protocol/scheduling-parameters.js';
import { readSequenceParameters } from '../protocol/sequence-parameters.js';
import { requireReady } from '../repository/model-version.js';
import { DATATYPES, isDatatype } from '../tensor/datatypes.js';
import { contentsToBytes, type TensorContents } from './tensor-contents.js';

type Parameter = { bool_param?: boolean; int64_param?: string | number; string_param?: string; parameter_choice?: string };
interface RequestedOutput { name: string; parameters?: Record<string, Parameter> }
interface InferInput { name: string; datatype: string; shape: (string | number)[]; parameters?: Record<string, Parameter>; contents?: TensorContents }
export interface ModelInferRequest {
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
 * One ModelInferRequest (unary, or one message of a stream): re-expressed in the binary tensor data
 * extension and parsed by the HTTP code, then through the model's scheduler, counted and audited.
 */
export function modelInfer(ctx: AppContext, req: ModelInferRequest, caller: string, call: { deadline: Deadline; signal: AbortSignal }) {
  return countRequest(ctx, caller, undefined, async (note) => {
    note({ requestedModel: req.model_name, transport: 'grpc' });
    const v = requireReady(ctx.repository.resolve(req.model_name, req.model_version === '' ? undefined : req.model_version));
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
    const grpcDeadline = call.deadline;
    const deadlineMs = grpcDeadline instanceof Date ? grpcDeadline.getTime() - Date.now() : Number.isFinite(grpcDeadline) ? Number(grpcDeadline) - Date.now() : undefined;
    const scheduling = readSchedulingParameters({ priority: paramValue(params.priority), timeout: paramValue(params.timeout) }, {});
    const sequence = readSequenceParameters({ sequence_id: paramValue(params.sequence_id), sequence_start: paramValue(params.sequence_start), sequence_end: paramValue(params.sequence_end) }, v.config);
    const result = await v.scheduler.enqueue({
      inputs: request.inputs, fetches: request.outputs.map((o) => o.name), signal: call.signal,
      priority: scheduling.priority, ...(sequence ? { sequence } : {}),
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
  });
}
