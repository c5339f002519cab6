import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/**
 * scikit-learn-onnx classifiers end in a ZipMap (ai.onnx.ml): the class probabilities as a sequence of
 * maps, which no tensor protocol can carry. This rewrites a model's bytes in memory so that the ZipMap's
 * output name carries the tensor that feeds it ([N, classes] FP32): the ZipMap node becomes an Identity
 * and the graph output's type a tensor. The file on disk is untouched (its digest still names it).
 *
 * The edit is made at the protobuf wire level: only the ZipMap NodeProto and its graph output's
 * ValueInfoProto are decoded and re-encoded (with the official onnx-ml.proto, ONNX 1.12, Apache-2.0);
 * every other byte of the model (initializers, functions, metadata, fields newer than 1.12) is copied.
 */
const root = protobuf.parse(readFileSync(new URL('./onnx-ml.proto', import.meta.url), 'utf8'), { keepCase: true }).root;
const NodeProto = root.lookupType('onnx.NodeProto');
const ValueInfoProto = root.lookupType('onnx.ValueInfoProto');

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const FLOAT = 1;
const ZIPMAP = Buffer.from('ZipMap');

interface Field {
  readonly number: number;
  /** The whole field: tag, length and payload, as found. */
  readonly bytes: Uint8Array;
  /** The payload of a length-delimited field. */
  readonly payload?: Uint8Array;
}

interface Node { input?: string[]; output?: string[]; name?: string; op_type?: string; domain?: string; attribute?: { name?: string; ints?: unknown[]; strings?: unknown[] }[] }
interface Dim { dim_value?: number | protobuf.Long; dim_param?: string }
interface ValueInfo { name?: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Dim[] } } }; doc_string?: string }

export interface ZipMapEdit {
  readonly bytes: Uint8Array;
  /** The graph outputs that were ZipMaps and are now [N, classes] FP32 tensors. */
  readonly exposed: string[];
}

/** Returns the model unchanged (same array) when no graph output is produced by a ZipMap. */
export function exposeZipMapInputs(model: Uint8Array): ZipMapEdit {
  if (Buffer.from(model.buffer, model.byteOffset, model.byteLength).indexOf(ZIPMAP) < 0) return { bytes: model, exposed: [] };
  try {
    return rewrite(model);
  } catch {
    // Not a protobuf model we can read: ONNX Runtime gives its own error for it.
    return { bytes: model, exposed: [] };
  }
}

function rewrite(model: Uint8Array): ZipMapEdit {
  const modelFields = readFields(model);
  const graphField = modelFields.find((f) => f.number === MODEL_GRAPH);
  if (!graphField?.payload) return { bytes: model, exposed: [] };
  const graphFields = readFields(graphField.payload);
  const outputs = new Map<string, Field>();
  for (const f of graphFields) if (f.number === GRAPH_OUTPUT) outputs.set(decode<ValueInfo>(ValueInfoProto, f).name ?? '', f);
  const shapes = new Map<string, ValueInfo>();
  for (const f of graphFields) if (f.number === GRAPH_VALUE_INFO || f.number === GRAPH_OUTPUT) {
    const v = decode<ValueInfo>(ValueInfoProto, f);
    if (v.name) shapes.set(v.name, v);
  }

  const replaced = new Map<Field, Uint8Array>();
  const exposed: string[] = [];
  for (const f of graphFields) {
    if (f.number !== GRAPH_NODE) continue;
    const node = decode<Node>(NodeProto, f);
    const out = node.output?.[0];
    if (node.op_type !== 'ZipMap' || node.domain !== 'ai.onnx.ml' || !out || !outputs.has(out) || node.input?.length !== 1) continue;
    const labels = node.attribute?.find((a) => a.name === 'classlabels_int64s' || a.name === 'classlabels_strings');
    const classes = labels ? (labels.ints?.length || labels.strings?.length || 0) : 0;
    const fed = shapes.get(node.input[0]!)?.type?.tensor_type?.shape?.dim?.[0];
    const identity: Node = { input: node.input, output: [out], name: `clinfer_exposed_${out}`, op_type: 'Identity', domain: '' };
    const tensor: ValueInfo = {
      name: out,
      type: { tensor_type: { elem_type: FLOAT, shape: { dim: [fed ?? { dim_param: 'N' }, classes > 0 ? { dim_value: classes } : { dim_param: 'classes' }] } } },
      doc_string: 'clinfer: the probabilities tensor that fed a ZipMap',
    };
    replaced.set(f, encodeField(GRAPH_NODE, NodeProto.encode(NodeProto.fromObject(identity)).finish()));
    replaced.set(outputs.get(out)!, encodeField(GRAPH_OUTPUT, ValueInfoProto.encode(ValueInfoProto.fromObject(tensor)).finish()));
    exposed.push(out);
  }
  if (exposed.length === 0) return { bytes: model, exposed };
  const graph = concat(graphFields.map((f) => replaced.get(f) ?? f.bytes));
  const bytes = concat(modelFields.map((f) => (f === graphField ? encodeField(MODEL_GRAPH, graph) : f.bytes)));
  return { bytes, exposed };
}

function decode<T>(type: protobuf.Type, field: Field): T {
  return type.toObject(type.decode(field.payload!), { defaults: false, arrays: true }) as T;
}

/** The top-level fields of one message, each with its exact bytes (unknown fields included). */
function readFields(bytes: Uint8Array): Field[] {
  const reader = protobuf.Reader.create(bytes);
  const fields: Field[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wire = tag & 7;
    let payload: Uint8Array | undefined;
    if (wire === 2) {
      const length = reader.uint32();
      payload = bytes.subarray(reader.pos, reader.pos + length);
      reader.skip(length);
    } else {
      reader.skipType(wire);
    }
    fields.push({ number: tag >>> 3, bytes: bytes.subarray(start, reader.pos), ...(payload ? { payload } : {}) });
  }
  return fields;
}

function encodeField(number: number, payload: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32((number << 3) | 2).bytes(payload).finish();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
