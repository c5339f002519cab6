import { describe, expect, it } from 'vitest';
import { bundleSchema } from '../../../runtime/bundle/bundle-schema.js';
import { buildModelConfig } from '../../../runtime/model/build-model-config.js';

/** bundle `sequence` checked against the graph at load time (runtime/model/sequence-spec.ts). */
const graph = {
  provider: 'cpu',
  inputs: [
    { name: 'x', isTensor: true, type: 'float32', shape: ['batch', 4, 3] },
    { name: 'h_in', isTensor: true, type: 'float32', shape: ['batch', 8] },
    { name: 'start', isTensor: true, type: 'float32', shape: ['batch', 1] },
    { name: 'ids', isTensor: true, type: 'int64', shape: ['batch', 1] },
    { name: 'wide', isTensor: true, type: 'float32', shape: ['batch', 2] },
    { name: 'free', isTensor: true, type: 'float32', shape: ['batch', 'n'] },
    { name: 'h_int', isTensor: true, type: 'int32', shape: ['batch', 8] },
  ],
  outputs: [
    { name: 'y', isTensor: true, type: 'float32', shape: ['batch', 2] },
    { name: 'h_out', isTensor: true, type: 'float32', shape: ['batch', 8] },
    { name: 'h_small', isTensor: true, type: 'float32', shape: ['batch', 4] },
  ],
};
const id = { name: 'm', version: '1', bundleFile: '/r/m/1/bundle.json', digest: 'd'.repeat(64) };
const defaults = { autofillMaxBatchSize: 32, instances: 2, maxQueueSize: 100, maxQueueDelayUs: undefined };
const bundle = (sequence: object) => bundleSchema.parse({ schema_version: 1, name: 'm', version: '1', task: 'other', model: { file: 'model.onnx', sha256: 'a'.repeat(64) }, max_batch_size: 8, sequence });
const state = [{ input: 'h_in', output: 'h_out' }];

describe('bundle sequence', () => {
  it('leaves the client the inputs and outputs that are neither state nor control, with the defaults filled', () => {
    const c = buildModelConfig(id, graph, bundle({ state, control: { start: 'start', correlation_id: 'ids' } }), defaults);
    expect(c.inputs.map((t) => t.name)).toEqual(['x', 'wide', 'free', 'h_int']);
    expect(c.outputs.map((t) => t.name)).toEqual(['y', 'h_small']);
    expect(c.sequence).toMatchObject({ idleTimeoutMs: 60_000, maxSequences: 1024, states: [{ output: 'h_out', shape: [1, 8] }], controls: [{ kind: 'start', shape: [1, 1] }, { kind: 'correlation_id', shape: [1, 1] }] });
    expect(c.sequence!.states[0]!.initial).toEqual(new Array(8).fill(0));
    expect(Object.isFrozen(c.sequence)).toBe(true);
  });

  it.each([
    [{ state: [{ input: 'nope', output: 'h_out' }] }, "field 'sequence.state[0].input': 'nope' is not an input of the model"],
    [{ state: [{ input: 'h_in', output: 'nope' }] }, "field 'sequence.state[0].output': 'nope' is not a tensor output"],
    [{ state: [{ input: 'h_int', output: 'h_out' }] }, "field 'sequence.state[0].input': input 'h_int' is INT32; state must be FP32"],
    [{ state: [{ input: 'h_in', output: 'h_small' }] }, "the state must keep its shape"],
    [{ state: [{ input: 'free', output: 'h_small' }] }, "input 'free' has a dynamic dimension 1"],
    [{ state: [{ input: 'h_in', output: 'h_out', initial: [1, 2] }] }, "field 'sequence.state[0].initial': has 2 values, one sequence's state [1,8] has 8"],
    [{ state, control: { start: 'wide' } }, "field 'sequence.control.start': input 'wide' has shape [-1,2]; a control input holds one value per request"],
    [{ state, control: { start: 'h_in' } }, "field 'sequence.control.start': input 'h_in' is named twice in sequence"],
  ])('refuses %j, naming the field', (sequence, message) => {
    expect(() => buildModelConfig(id, graph, bundle(sequence), defaults)).toThrow(message);
  });

  it('refuses unknown fields and missing state in the schema', () => {
    expect(() => bundle({ state: [] })).toThrow();
    expect(() => bundle({ state, control: { reset: 'start' } })).toThrow();
    expect(() => bundle({ state, idle_timeout_ms: 0 })).toThrow();
  });
});
