import { describe, expect, it } from 'vitest';
import { ClinferError } from '../../../runtime/errors/index.js';
import { Metrics } from '../../../runtime/metrics/metrics.js';
import type { ModelConfig } from '../../../runtime/model/model-config.js';
import type { SequenceSpec } from '../../../runtime/model/sequence-spec.js';
import type { ScheduledRequest, ScheduledResult, Scheduler, SequenceFlags } from '../../../runtime/scheduler/scheduler.js';
import { SequenceBatcher } from '../../../runtime/scheduler/sequence-batcher.js';
import type { Tensor } from '../../../runtime/tensor/tensor.js';

/**
 * The SequenceBatcher against a stub inner scheduler whose runs the test settles: what it feeds (state
 * and control inputs), what it hands back (state outputs taken out), and its ordering contract (never
 * two requests of one sequence at once, in arrival order), which over HTTP only a race could show.
 */
const spec: SequenceSpec = {
  states: [{ input: { name: 'h_in', datatype: 'FP32', shape: [-1, 2] }, output: 'h_out', shape: [1, 2], initial: [0.5, 0.5] }],
  controls: [
    { kind: 'start', input: { name: 'start', datatype: 'BOOL', shape: [-1, 1] }, shape: [1, 1] },
    { kind: 'end', input: { name: 'end', datatype: 'INT32', shape: [-1, 1] }, shape: [1, 1] },
    { kind: 'correlation_id', input: { name: 'corrid', datatype: 'INT64', shape: [-1, 1] }, shape: [1, 1] },
  ],
  idleTimeoutMs: 60_000,
  maxSequences: 3,
};
const model = { name: 'm', version: '1', maxBatchSize: 8, sequence: spec } as unknown as ModelConfig & { sequence: SequenceSpec };

/** The stub "model": h_out = h_in + x, y = x; runs are settled by the test. */
class StubScheduler implements Scheduler {
  readonly runs: { request: ScheduledRequest; settle(ok: boolean): void }[] = [];
  inflightCount = 0;
  enqueue(request: ScheduledRequest): Promise<ScheduledResult> {
    return new Promise((resolve, reject) => {
      this.runs.push({
        request,
        settle: (ok) => {
          if (!ok) return reject(new ClinferError('INFERENCE_FAILED', 'stub failure'));
          const x = request.inputs.find((t) => t.name === 'x')!.data as Float32Array;
          const h = request.inputs.find((t) => t.name === 'h_in')!.data as Float32Array;
          const outputs: Tensor[] = [
            { name: 'y', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(x[0]!) },
            { name: 'h_out', datatype: 'FP32', shape: [1, 2], data: Float32Array.from(h, (v) => v + x[0]!) },
          ];
          resolve({ outputs, queueSeconds: 0, computeSeconds: 0, batchSize: 1 });
        },
      });
    });
  }
  stop(): Promise<void> { return Promise.resolve(); }
}

const tick = () => new Promise((r) => setImmediate(r));
const request = (x: number, sequence: SequenceFlags): ScheduledRequest => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(x) }], fetches: ['y'], priority: 2, timeoutMs: undefined, sequence,
});
const fed = (run: { request: ScheduledRequest }, name: string) => Array.from(run.request.inputs.find((t) => t.name === name)!.data as ArrayLike<number | bigint>, Number);
const setup = () => {
  const inner = new StubScheduler();
  return { inner, batcher: new SequenceBatcher(model, inner, new Metrics()) };
};

describe('SequenceBatcher', () => {
  it('feeds the state and control inputs, asks for the state output and keeps it from the caller', async () => {
    const { inner, batcher } = setup();
    const first = batcher.enqueue(request(1, { id: 7, start: true, end: false }));
    await tick();
    expect(inner.runs[0]!.request.fetches).toEqual(['y', 'h_out']);
    expect(fed(inner.runs[0]!, 'h_in')).toEqual([0.5, 0.5]);
    expect(fed(inner.runs[0]!, 'start')).toEqual([1]);
    expect(fed(inner.runs[0]!, 'end')).toEqual([0]);
    expect(fed(inner.runs[0]!, 'corrid')).toEqual([7]);
    inner.runs[0]!.settle(true);
    expect((await first).outputs.map((o) => o.name)).toEqual(['y']);
    const second = batcher.enqueue(request(2, { id: 7, start: false, end: true }));
    await tick();
    expect(fed(inner.runs[1]!, 'h_in')).toEqual([1.5, 1.5]);
    expect(fed(inner.runs[1]!, 'start')).toEqual([0]);
    expect(fed(inner.runs[1]!, 'end')).toEqual([1]);
    inner.runs[1]!.settle(true);
    await second;
    await tick();
    expect(batcher.liveCount).toBe(0);
  });

  it('never runs two requests of one sequence at once, and runs them in arrival order; other sequences go at once', async () => {
    const { inner, batcher } = setup();
    const a = [1, 2, 3].map((x, i) => batcher.enqueue(request(x, { id: 21, start: i === 0, end: false })));
    const b = batcher.enqueue(request(10, { id: 22, start: true, end: false }));
    await tick();
    // One of 'a' and the one of 'b': both sequences are in the inner scheduler together (they may batch).
    expect(inner.runs.map((r) => fed(r, 'x')[0])).toEqual([1, 10]);
    inner.runs[0]!.settle(true);
    await tick();
    expect(inner.runs.map((r) => fed(r, 'x')[0])).toEqual([1, 10, 2]);
    expect(fed(inner.runs[2]!, 'h_in')).toEqual([1.5, 1.5]);
    inner.runs[2]!.settle(true);
    await tick();
    expect(fed(inner.runs[3]!, 'x')).toEqual([3]);
    expect(fed(inner.runs[3]!, 'h_in')).toEqual([3.5, 3.5]);
    inner.runs[3]!.settle(true);
    inner.runs[1]!.settle(true);
    await Promise.all([...a, b]);
    expect(batcher.inflightCount).toBe(0);
  });

  it('leaves the state as it was when a request fails', async () => {
    const { inner, batcher } = setup();
    const first = batcher.enqueue(request(1, { id: 1, start: true, end: false }));
    await tick();
    inner.runs[0]!.settle(true);
    await first;
    const failed = batcher.enqueue(request(100, { id: 1, start: false, end: false }));
    await tick();
    inner.runs[1]!.settle(false);
    await expect(failed).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    void batcher.enqueue(request(2, { id: 1, start: false, end: false }));
    await tick();
    expect(fed(inner.runs[2]!, 'h_in')).toEqual([1.5, 1.5]);
  });

  it('refuses a request after sequence_end queued behind the end, and restarts on a new start', async () => {
    const { inner, batcher } = setup();
    const start = batcher.enqueue(request(1, { id: 2, start: true, end: true }));
    const late = batcher.enqueue(request(2, { id: 2, start: false, end: false }));
    const again = batcher.enqueue(request(3, { id: 2, start: true, end: false }));
    await tick();
    inner.runs[0]!.settle(true);
    await start;
    await expect(late).rejects.toMatchObject({ code: 'SEQUENCE_NOT_FOUND' });
    await tick();
    expect(fed(inner.runs[1]!, 'x')).toEqual([3]);
    expect(fed(inner.runs[1]!, 'h_in')).toEqual([0.5, 0.5]);
    inner.runs[1]!.settle(true);
    await again;
  });

  it('refuses an unknown id without start, more than max_sequences, a batch of rows, and an id the correlation input cannot hold', async () => {
    const { batcher } = setup();
    await expect(batcher.enqueue(request(1, { id: 9, start: false, end: false }))).rejects.toMatchObject({ code: 'SEQUENCE_NOT_FOUND' });
    for (const id of [1, 2, 3]) void batcher.enqueue(request(1, { id, start: true, end: false }));
    await expect(batcher.enqueue(request(1, { id: 4, start: true, end: false }))).rejects.toMatchObject({ code: 'SEQUENCE_LIMIT', retryAfterSeconds: 60 });
    const twoRows = { ...request(1, { id: 1, start: false, end: false }), inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [2, 1], data: Float32Array.of(1, 2) }] };
    await expect(batcher.enqueue(twoRows)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(batcher.enqueue(request(1, { id: 'text', start: true, end: false }))).rejects.toThrow("parameter 'sequence_id': model 'm' version 1 passes the id to input 'corrid' (INT64)");
    await expect(batcher.enqueue({ ...request(1, { id: 1, start: false, end: false }), sequence: undefined })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });
});
