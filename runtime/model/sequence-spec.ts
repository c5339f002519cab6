import type { SequenceDeclaration } from '../bundle/sequence-schema.js';
import type { ClinferError } from '../errors/index.js';
import type { TensorSpec } from './tensor-spec.js';

export type ControlKind = 'start' | 'end' | 'ready' | 'correlation_id';

/** One piece of implicit state: graph input `input` takes the value graph output `output` had last time. */
export interface StateSpec {
  readonly input: TensorSpec;
  readonly output: string;
  /** Shape of one sequence's state (the batch dimension, if any, is 1). */
  readonly shape: readonly number[];
  /** A new sequence's state, one row (a plain array: the config is deep-frozen, typed arrays cannot be). */
  readonly initial: readonly number[];
}

export interface ControlSpec {
  readonly kind: ControlKind;
  readonly input: TensorSpec;
  /** Shape of one request's control tensor (one element). */
  readonly shape: readonly number[];
}

/** A stateful model's sequence declaration, checked against the graph. Frozen with the ModelConfig. */
export interface SequenceSpec {
  readonly states: readonly StateSpec[];
  readonly controls: readonly ControlSpec[];
  readonly idleTimeoutMs: number;
  readonly maxSequences: number;
}

const CONTROL_DATATYPES = new Set(['BOOL', 'UINT8', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT32', 'UINT64', 'FP32', 'FP64']);

/**
 * Checks `sequence` against the graph's inputs and outputs and splits them: what the client sends and
 * receives (`served`), and what clinfer feeds and keeps. Failures name the bundle field.
 */
export function parseSequenceSpec(
  declared: SequenceDeclaration,
  graph: { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[]; maxBatchSize: number },
  fail: (field: string, message: string) => ClinferError,
): { spec: SequenceSpec; served: { inputs: TensorSpec[]; outputs: TensorSpec[] } } {
  const batched = graph.maxBatchSize > 0;
  const used = new Set<string>();
  const rowShape = (field: string, t: TensorSpec): number[] => {
    const shape = batched ? [1, ...t.shape.slice(1)] : [...t.shape];
    const dynamic = shape.findIndex((d) => d < 0);
    if (dynamic >= 0) throw fail(field, `input '${t.name}' has a dynamic dimension ${dynamic} ([${t.shape.join(',')}]): declare its size in inputs`);
    return shape;
  };
  const input = (field: string, name: string): TensorSpec => {
    const t = graph.inputs.find((i) => i.name === name);
    if (!t) throw fail(field, `'${name}' is not an input of the model (it has ${graph.inputs.map((i) => i.name).join(', ')})`);
    if (used.has(name)) throw fail(field, `input '${name}' is named twice in sequence`);
    used.add(name);
    return t;
  };

  const states = declared.state.map((s, i): StateSpec => {
    const field = `sequence.state[${i}]`;
    const t = input(`${field}.input`, s.input);
    if (t.datatype !== 'FP32') throw fail(`${field}.input`, `input '${t.name}' is ${t.datatype}; state must be FP32`);
    const shape = rowShape(`${field}.input`, t);
    const out = graph.outputs.find((o) => o.name === s.output);
    if (!out) throw fail(`${field}.output`, `'${s.output}' is not a tensor output of the model (it has ${graph.outputs.map((o) => o.name).join(', ')})`);
    if (declared.state.some((other, k) => k !== i && other.output === s.output)) throw fail(`${field}.output`, `output '${s.output}' is named twice`);
    if (out.datatype !== 'FP32') throw fail(`${field}.output`, `output '${out.name}' is ${out.datatype}; state must be FP32`);
    const outShape = batched ? [1, ...out.shape.slice(1)] : out.shape;
    if (out.shape.length !== shape.length || outShape.some((d, k) => d >= 0 && d !== shape[k])) {
      throw fail(`${field}.output`, `output '${out.name}' has shape [${out.shape.join(',')}], input '${t.name}' [${t.shape.join(',')}]: the state must keep its shape`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (Array.isArray(s.initial) && s.initial.length !== size) throw fail(`${field}.initial`, `has ${s.initial.length} values, one sequence's state [${shape.join(',')}] has ${size}`);
    const initial = Array.isArray(s.initial) ? [...s.initial] : new Array<number>(size).fill(s.initial ?? 0);
    return { input: t, output: out.name, shape, initial };
  });

  const controls: ControlSpec[] = [];
  for (const kind of ['start', 'end', 'ready', 'correlation_id'] as const) {
    const name = declared.control[kind];
    if (name === undefined) continue;
    const field = `sequence.control.${kind}`;
    const t = input(field, name);
    if (!CONTROL_DATATYPES.has(t.datatype)) throw fail(field, `input '${t.name}' is ${t.datatype}; a control input must be BOOL, an integer type, FP32 or FP64`);
    if (kind === 'correlation_id' && t.datatype === 'BOOL') throw fail(field, `input '${t.name}' is BOOL; a correlation id needs an integer or float type`);
    const shape = rowShape(field, t);
    if (shape.reduce((a, b) => a * b, 1) !== 1) throw fail(field, `input '${t.name}' has shape [${t.shape.join(',')}]; a control input holds one value per request`);
    controls.push({ kind, input: t, shape });
  }

  const stateOutputs = new Set(states.map((s) => s.output));
  const served = { inputs: graph.inputs.filter((i) => !used.has(i.name)), outputs: graph.outputs.filter((o) => !stateOutputs.has(o.name)) };
  if (served.inputs.length === 0) throw fail('sequence', 'leaves the client no input to send: at least one graph input must be neither state nor control');
  if (served.outputs.length === 0) throw fail('sequence', 'leaves the client no output: at least one tensor output must not be state');
  return { spec: { states, controls, idleTimeoutMs: declared.idle_timeout_ms, maxSequences: declared.max_sequences }, served };
}
