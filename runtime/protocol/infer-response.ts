import type { ModelConfig } from '../model/model-config.js';
import type { RequestedOutput, Tensor } from '../tensor/tensor.js';
import { encodeBinaryData } from './binary-tensor.js';
import { encodeJsonData } from './json-tensor.js';
import { refuseOversizedJsonOutput } from './json-output-size.js';

export interface EncodedResponse {
  /**
   * The body in order: the JSON header, then (when large) each binary output as its own Buffer, a view of
   * the output's own memory (no copy); small binary outputs are joined to the header in one Buffer.
   */
  readonly parts: readonly Buffer[];
  /** Bytes of all parts together (the Content-Length). */
  readonly byteLength: number;
  readonly contentType: string;
  /** Set when binary outputs follow the JSON header (Inference-Header-Content-Length). */
  readonly headerLength: number | undefined;
}

/** Default of the server's maxJsonResponseBytes. */
export const DEFAULT_MAX_JSON_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Builds the OIP v2 infer response, outputs in the order requested, binary ones after the JSON.
 * JSON outputs whose worst-case text passes `maxJsonBytes` are refused before any is stringified
 * (V8 cannot build a string past ~512 MB, and long before that one JSON.stringify stalls the event loop).
 */
export function encodeInferResponse(model: ModelConfig, id: string | undefined, outputs: readonly Tensor[], requested: readonly RequestedOutput[], maxJsonBytes = DEFAULT_MAX_JSON_RESPONSE_BYTES): EncodedResponse {
  for (const r of requested) {
    const t = outputs.find((o) => o.name === r.name)!;
    if (!r.binary) refuseOversizedJsonOutput(t.name, t.datatype, t.shape, t.data, maxJsonBytes);
  }
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
  if (chunks.length === 0) return { parts: [json], byteLength: json.byteLength, contentType: 'application/json', headerLength: undefined };
  const byteLength = chunks.reduce((n, c) => n + c.byteLength, json.byteLength);
  // Small outputs: one Buffer (one write); large ones are written as they are, not copied into a body.
  const parts = byteLength - json.byteLength <= JOIN_BELOW_BYTES ? [Buffer.concat([json, ...chunks], byteLength)] : [json, ...chunks];
  return { parts, byteLength, contentType: 'application/octet-stream', headerLength: json.byteLength };
}

/** Binary outputs up to this size are joined to the JSON header (cheaper than a write each). */
const JOIN_BELOW_BYTES = 16 * 1024;
