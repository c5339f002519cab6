import type { ModelConfig } from '../model/model-config.js';
import type { RequestedOutput, Tensor } from '../tensor/tensor.js';
import { encodeBinaryData } from './binary-tensor.js';
import { encodeJsonData } from './json-tensor.js';

export interface EncodedResponse {
  readonly body: Buffer;
  readonly contentType: string;
  /** Set when binary outputs follow the JSON header (Inference-Header-Content-Length). */
  readonly headerLength: number | undefined;
}

/** Builds the OIP v2 infer response, outputs in the order requested, binary ones after the JSON. */
export function encodeInferResponse(model: ModelConfig, id: string | undefined, outputs: readonly Tensor[], requested: readonly RequestedOutput[]): EncodedResponse {
  const chunks: Buffer[] = [];
  const entries = requested.map((r) => {
    const t = outputs.find((o) => o.name === r.name)!;
    const base = { name: t.name, datatype: t.datatype, shape: t.shape };
    if (!r.binary) return { ...base, data: encodeJsonData(t.datatype, t.data) };
    const bytes = encodeBinaryData(t.datatype, t.data);
    chunks.push(bytes);
    return { ...base, parameters: { binary_data_size: bytes.byteLength } };
  });
  // parameters.bundle_digest: which exact files answered (traceability; plain OIP clients ignore it).
  const json = Buffer.from(JSON.stringify({ model_name: model.name, model_version: model.version, ...(id !== undefined ? { id } : {}), parameters: { bundle_digest: model.digest }, outputs: entries }));
  if (chunks.length === 0) return { body: json, contentType: 'application/json', headerLength: undefined };
  return { body: Buffer.concat([json, ...chunks]), contentType: 'application/octet-stream', headerLength: json.byteLength };
}
