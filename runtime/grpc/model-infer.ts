import type { Deadline } from '@grpc/grpc-js';
import type { AppContext } from '../app-context.js';
import { ClinferError } from '../errors/index.js';
import { countRequest } from '../inference/count-request.js';
import { runInference } from '../inference/run-inference.js';
import { encodeBinaryData } from '../protocol/binary-tensor.js';
import { inferRequestFromParts } from '../protocol/infer-request.js';
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
 * One ModelInferRequest (unary, or one message of a stream): its tensors are taken where they lie (each
 * raw_input_contents entry, or the typed contents made into one typed array), checked by the same
 * validation as an HTTP request (protocol/infer-request.ts) and run by the same pipeline
 * (inference/run-inference.ts: drift, scheduler, classification), counted and audited.
 */
export function modelInfer(ctx: AppContext, req: ModelInferRequest, caller: string, call: { deadline: Deadline; signal: AbortSignal }) {
  return countRequest(ctx, caller, undefined, async (note) => {
    note({ requestedModel: req.model_name, transport: 'grpc' });
    const v = requireReady(ctx.repository.resolve(req.model_name, req.model_version === '' ? undefined : req.model_version));
    note({ model: v.name, version: v.version, bundleDigest: v.config.digest, requestId: req.id || undefined });
    const parts = inputParts(req, v.config.maxRequestBytes, `model '${v.name}' version ${v.version}'s`);
    // The audit log keeps the HMAC of the tensor bytes (raw or from contents), in input order.
    note({ input: parts });
    const request = inferRequestFromParts(headerOf(req, parts), parts, v.config);
    const grpcDeadline = call.deadline;
    const deadlineMs = grpcDeadline instanceof Date ? grpcDeadline.getTime() - Date.now() : Number.isFinite(grpcDeadline) ? Number(grpcDeadline) - Date.now() : undefined;
    const outputs = await runInference({ version: v, request, signal: call.signal, deadlineMs, maxJsonResponseBytes: ctx.config.maxJsonResponseBytes });
    return {
      model_name: v.name, model_version: v.version, id: req.id,
      parameters: { bundle_digest: { string_param: v.config.digest } },
      outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
      raw_output_contents: outputs.map((o) => encodeBinaryData(o.datatype, o.data)),
    };
  });
}

/** Each input's bytes, in input order: its raw_input_contents entry (as received, not copied) or its typed contents. */
function inputParts(req: ModelInferRequest, maxRequestBytes: number, whose: string): Uint8Array[] {
  const raw = req.raw_input_contents ?? [];
  const rawBytes = raw.reduce((n, b) => n + b.byteLength, 0);
  if (rawBytes > maxRequestBytes) {
    throw new ClinferError('BODY_TOO_LARGE', `raw_input_contents holds ${rawBytes} bytes, over ${whose} max_request_bytes (${maxRequestBytes})`);
  }
  // The proto: with raw_input_contents, no input may carry typed contents (which would the model get?).
  const typed = raw.length > 0 ? req.inputs.find((input) => Object.values(input.contents ?? {}).some((values) => Array.isArray(values) && values.length > 0)) : undefined;
  if (typed) throw new ClinferError('INVALID_INPUT', `input '${typed.name}' carries contents while the request carries raw_input_contents: give the data of every input one way, not both`);
  if (raw.length > 0 && raw.length !== req.inputs.length) {
    throw new ClinferError('INVALID_REQUEST', `raw_input_contents holds ${raw.length} entries for ${req.inputs.length} inputs: give one per input, in order, or none`);
  }
  return req.inputs.map((input, i) => {
    if (!raw.length) return contentsToBytes(input.name, input.datatype, input.shape.map(Number), input.contents);
    const size = isDatatype(input.datatype) ? DATATYPES[input.datatype].size : 0;
    const needed = size * input.shape.map(Number).reduce((a, b) => a * b, 1);
    if (size > 0 && raw[i]!.byteLength !== needed) {
      throw new ClinferError('INVALID_INPUT', `input '${input.name}': raw_input_contents[${i}] holds ${raw[i]!.byteLength} bytes, shape [${input.shape.join(',')}] of ${input.datatype} needs ${needed}`);
    }
    return raw[i]!;
  });
}

/**
 * The request in the form of the OIP JSON header (inputs with binary_data_size, requested outputs,
 * parameters), as plain values: nothing is serialised. Outputs travel as bytes (raw_output_contents), so
 * the JSON output size limit does not apply; classification (Triton's class_count) travels on.
 */
function headerOf(req: ModelInferRequest, parts: readonly Uint8Array[]): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(req.parameters ?? {})) parameters[key] = paramValue(p);
  parameters.binary_data_output = true;
  return {
    ...(req.id ? { id: req.id } : {}),
    parameters,
    inputs: req.inputs.map((input, i) => ({ name: input.name, datatype: input.datatype, shape: input.shape.map(Number), parameters: { binary_data_size: parts[i]!.byteLength } })),
    ...(req.outputs?.length ? { outputs: req.outputs.map((o) => ({ name: o.name, ...(o.parameters?.classification ? { parameters: { classification: paramValue(o.parameters.classification) } } : {}) })) } : {}),
  };
}
