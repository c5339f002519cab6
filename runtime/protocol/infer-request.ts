import { ClinferError, invalidInput, invalidRequest } from '../errors/index.js';
import type { ModelConfig } from '../model/model-config.js';
import type { TensorSpec } from '../model/tensor-spec.js';
import { DATATYPES, elementCount, isDatatype, type Datatype } from '../tensor/datatypes.js';
import type { RequestedOutput, Tensor } from '../tensor/tensor.js';
import { decodeBinaryData } from './binary-tensor.js';
import { checkJsonDepth } from './json-depth.js';
import { decodeJsonData } from './json-tensor.js';

export interface InferRequest {
  readonly id: string | undefined;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly RequestedOutput[];
}

/** What parsing needs of a model (small enough to send to a parsing thread). */
export type RequestModel = Pick<ModelConfig, 'name' | 'inputs' | 'outputs' | 'unsupportedOutputs' | 'maxBatchSize'>;

type Json = Readonly<Record<string, unknown>>;
const EMPTY = new Uint8Array(0);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses an OIP v2 infer request (JSON, or JSON header plus binary tensor data) and checks it against
 * the model before any tensor memory is allocated. `headerLength` is the Inference-Header-Content-Length
 * header; 0 means the whole body is the raw data of the model's single input.
 */
export function parseInferRequest(body: Buffer, headerLength: string | undefined, model: RequestModel): InferRequest {
  if (headerLength !== undefined) {
    if (!/^\d+$/.test(headerLength.trim())) throw invalidRequest(`Inference-Header-Content-Length must be a non-negative integer, got '${headerLength.slice(0, 20)}'`);
    const n = Number(headerLength);
    if (n > body.byteLength) throw invalidRequest(`Inference-Header-Content-Length is ${n} but the body holds ${body.byteLength} bytes`);
    if (n === 0) return parseRawBody(body, model);
    return parseJsonAndBinary(parseJson(body.subarray(0, n)), body.subarray(n), model);
  }
  return parseJsonAndBinary(parseJson(body), EMPTY, model);
}

function parseJson(bytes: Buffer): Json {
  checkJsonDepth(bytes);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalidRequest(`the request body is not valid JSON (${(e as Error).message.slice(0, 120)})`);
  }
  if (!isObject(value)) throw invalidRequest('the request body must be a JSON object with an "inputs" array');
  return value;
}

function parseJsonAndBinary(json: Json, binary: Uint8Array, model: RequestModel): InferRequest {
  const planned = planRequest(json, model);
  const binaryTotal = planned.inputs.reduce((n, p) => n + (p.binarySize ?? 0), 0);
  if (binaryTotal !== binary.byteLength) {
    throw invalidRequest(`the inputs' binary_data_size values add up to ${binaryTotal} bytes, the body carries ${binary.byteLength} bytes after the JSON header`);
  }
  let offset = 0;
  const parts = planned.inputs.map((p) => (p.binarySize === undefined ? undefined : binary.subarray(offset, (offset += p.binarySize))));
  return decodePlanned(planned, parts, model);
}

/**
 * A request whose header is already an object (in the JSON header's form) and whose binary data come
 * in one part per input, in input order (gRPC's raw_input_contents, or typed contents as bytes): the same
 * validation as an HTTP request, without joining the parts. An input with binary_data_size takes its
 * part, whose length must be that size.
 */
export function inferRequestFromParts(header: Readonly<Record<string, unknown>>, parts: readonly (Uint8Array | undefined)[], model: RequestModel): InferRequest {
  const planned = planRequest(header, model);
  planned.inputs.forEach((p, i) => {
    if (p.binarySize !== undefined && parts[i]?.byteLength !== p.binarySize) throw invalidRequest(`input '${p.name}': binary_data_size is ${p.binarySize}, its data holds ${parts[i]?.byteLength ?? 0} bytes`);
  });
  return decodePlanned(planned, parts, model);
}

interface PlannedRequest {
  readonly json: Json;
  readonly id: string | undefined;
  readonly parameters: Json;
  readonly inputs: readonly InputPlan[];
}

function planRequest(json: Json, model: RequestModel): PlannedRequest {
  const id = json.id;
  if (id !== undefined && typeof id !== 'string') throw invalidRequest("'id' must be a string");
  const parameters = json.parameters ?? {};
  if (!isObject(parameters)) throw invalidRequest("'parameters' must be an object");
  if (!Array.isArray(json.inputs) || json.inputs.length === 0) throw invalidRequest("'inputs' must be a non-empty array");

  const seen = new Set<string>();
  const inputs = json.inputs.map((raw, index) => planInput(raw, index, model, seen));
  const missing = model.inputs.find((spec) => !seen.has(spec.name));
  if (missing) throw invalidInput(`input '${missing.name}' is missing: model '${model.name}' needs ${model.inputs.map((i) => `'${i.name}'`).join(', ')}`);
  checkBatch(inputs, model);
  return { json, id, parameters, inputs };
}

/** Decodes the planned inputs (binary ones from their part) and reads the requested outputs. */
function decodePlanned(planned: PlannedRequest, parts: readonly (Uint8Array | undefined)[], model: RequestModel): InferRequest {
  const inputs = planned.inputs.map((p, i): Tensor => {
    const data = p.binarySize !== undefined ? decodeBinaryData(p.name, p.datatype, p.count, parts[i]!) : decodeJsonData(p.name, p.datatype, p.shape, p.data);
    return { name: p.name, datatype: p.datatype, shape: p.shape, data };
  });
  const outputs = parseRequestedOutputs(planned.json.outputs, planned.parameters.binary_data_output === true, model);
  return { id: planned.id, parameters: planned.parameters, inputs, outputs };
}

interface InputPlan {
  name: string;
  datatype: Datatype;
  shape: number[];
  count: number;
  binarySize: number | undefined;
  data: unknown;
}

function planInput(raw: unknown, index: number, model: RequestModel, seen: Set<string>): InputPlan {
  if (!isObject(raw)) throw invalidRequest(`inputs[${index}] must be an object with name, shape, datatype and data`);
  const { name, datatype, shape } = raw;
  if (typeof name !== 'string' || name === '') throw invalidRequest(`inputs[${index}].name must be a non-empty string`);
  const spec = model.inputs.find((s) => s.name === name);
  if (!spec) throw invalidInput(`model '${model.name}' has no input '${name}'; its inputs are ${model.inputs.map((i) => `'${i.name}'`).join(', ')}`);
  if (seen.has(name)) throw invalidInput(`input '${name}' is given twice`);
  seen.add(name);
  if (!isDatatype(datatype)) throw invalidInput(`input '${name}': datatype ${JSON.stringify(datatype)} is not a protocol datatype (BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES)`);
  if (datatype !== spec.datatype) throw invalidInput(`input '${name}': datatype is ${datatype}, the model expects ${spec.datatype}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidInput(`input '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)?.slice(0, 60)}`);
  }
  checkShape(name, shape as number[], spec);
  const count = elementCount(shape as number[]);
  const params = raw.parameters;
  if (params !== undefined && !isObject(params)) throw invalidRequest(`inputs[${index}].parameters must be an object`);
  const binarySize = params?.binary_data_size;
  if (binarySize !== undefined) {
    if (!Number.isSafeInteger(binarySize) || (binarySize as number) < 0) throw invalidInput(`input '${name}': binary_data_size must be a non-negative integer`);
    const expected = count * DATATYPES[datatype].size;
    if (datatype !== 'BYTES' && binarySize !== expected) {
      throw invalidInput(`input '${name}': binary_data_size is ${binarySize}, shape [${shape.join(',')}] of ${datatype} needs ${expected} bytes`);
    }
    if (raw.data !== undefined) throw invalidInput(`input '${name}': give either 'data' or binary_data_size, not both`);
  } else if (raw.data === undefined) {
    throw invalidInput(`input '${name}': 'data' is missing (or use the binary extension with parameters.binary_data_size)`);
  }
  return { name, datatype, shape: shape as number[], count, binarySize: binarySize as number | undefined, data: raw.data };
}

function checkShape(name: string, shape: readonly number[], spec: TensorSpec): void {
  if (spec.shape.length > 0 && shape.length !== spec.shape.length) {
    throw invalidInput(`input '${name}': shape [${shape.join(',')}] has rank ${shape.length}, the model expects [${spec.shape.join(',')}]`);
  }
  spec.shape.forEach((d, k) => {
    if (d !== -1 && shape[k] !== d) throw invalidInput(`input '${name}': shape [${shape.join(',')}] dimension ${k} is ${shape[k]}, the model expects [${spec.shape.join(',')}]`);
  });
}

function checkBatch(plans: readonly InputPlan[], model: RequestModel): void {
  if (model.maxBatchSize <= 1) return;
  const rows = plans[0]!.shape[0]!;
  for (const p of plans) {
    if (p.shape[0] !== rows) throw invalidInput(`input '${p.name}': batch dimension is ${p.shape[0]}, input '${plans[0]!.name}' has ${rows}; all inputs must agree`);
  }
  if (rows < 1) throw invalidInput(`input '${plans[0]!.name}': batch dimension must be at least 1`);
  if (rows > model.maxBatchSize) throw invalidInput(`input '${plans[0]!.name}': batch of ${rows} exceeds the model's max_batch_size ${model.maxBatchSize}`);
}

function parseRequestedOutputs(raw: unknown, binaryDefault: boolean, model: RequestModel): RequestedOutput[] {
  if (raw === undefined) return model.outputs.map((o) => ({ name: o.name, binary: binaryDefault }));
  if (!Array.isArray(raw)) throw invalidRequest("'outputs' must be an array");
  const seen = new Set<string>();
  return raw.map((o, index) => {
    if (!isObject(o) || typeof o.name !== 'string') throw invalidRequest(`outputs[${index}] must be an object with a 'name'`);
    const unsupported = model.unsupportedOutputs.find((u) => u.name === o.name);
    if (unsupported) throw new ClinferError('INVALID_OUTPUT', `output '${o.name}' ${unsupported.reason} and cannot be returned`);
    if (!model.outputs.some((s) => s.name === o.name)) {
      throw new ClinferError('INVALID_OUTPUT', `model '${model.name}' has no output '${o.name}'; its outputs are ${model.outputs.map((s) => `'${s.name}'`).join(', ')}`);
    }
    if (seen.has(o.name)) throw new ClinferError('INVALID_OUTPUT', `output '${o.name}' is requested twice`);
    seen.add(o.name);
    const params = o.parameters;
    if (params !== undefined && !isObject(params)) throw invalidRequest(`outputs[${index}].parameters must be an object`);
    const binary = params?.binary_data;
    if (binary !== undefined && typeof binary !== 'boolean') throw invalidRequest(`outputs[${index}].parameters.binary_data must be true or false`);
    const classification = params?.classification;
    if (classification === undefined || classification === 0) return { name: o.name, binary: binary ?? binaryDefault };
    if (!Number.isSafeInteger(classification) || (classification as number) < 0) {
      throw new ClinferError('INVALID_PARAMETER', `outputs[${index}].parameters.classification must be a positive integer (how many top classes), got ${JSON.stringify(classification)?.slice(0, 40)}`);
    }
    const spec = model.outputs.find((s) => s.name === o.name)!;
    if (spec.datatype === 'BYTES') throw new ClinferError('INVALID_PARAMETER', `outputs[${index}].parameters.classification: output '${o.name}' is BYTES; classification needs numeric scores`);
    return { name: o.name, binary: binary ?? binaryDefault, classification: classification as number };
  });
}

/** The raw binary request: the body is the data of the model's only input, shape from the model. */
function parseRawBody(body: Buffer, model: RequestModel): InferRequest {
  if (model.inputs.length !== 1) {
    throw invalidRequest(`a raw binary body (Inference-Header-Content-Length: 0) needs a single-input model; '${model.name}' has ${model.inputs.length} inputs`);
  }
  const spec = model.inputs[0]!;
  if (spec.datatype === 'BYTES') throw invalidRequest(`input '${spec.name}' is BYTES: send it with a JSON header`);
  const size = DATATYPES[spec.datatype].size;
  const fixed = spec.shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const dynamic = spec.shape.filter((d) => d === -1).length;
  if (spec.shape.length === 0 || dynamic > 1) {
    throw invalidRequest(`input '${spec.name}' has shape [${spec.shape.join(',')}]: a raw binary body works only when at most one dimension is dynamic`);
  }
  const elements = body.byteLength / size;
  if (!Number.isInteger(elements) || elements % fixed !== 0 || (dynamic === 0 && elements !== fixed)) {
    throw invalidInput(`input '${spec.name}': raw body of ${body.byteLength} bytes is not a whole number of [${spec.shape.join(',')}] ${spec.datatype} tensors`);
  }
  const shape = spec.shape.map((d) => (d === -1 ? elements / fixed : d));
  if (model.maxBatchSize > 1 && shape[0]! > model.maxBatchSize) throw invalidInput(`input '${spec.name}': batch of ${shape[0]} exceeds the model's max_batch_size ${model.maxBatchSize}`);
  if (shape.includes(0)) throw invalidInput(`input '${spec.name}': the raw body is empty`);
  const data = decodeBinaryData(spec.name, spec.datatype, elements, body);
  return { id: undefined, parameters: {}, inputs: [{ name: spec.name, datatype: spec.datatype, shape, data }], outputs: model.outputs.map((o) => ({ name: o.name, binary: false })) };
}
