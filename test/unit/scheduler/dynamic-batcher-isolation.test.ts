import { describe, expect, it } from 'vitest';
import { ClinferError } from '../../../runtime/errors/index.js';
import { Metrics } from '../../../runtime/metrics/metrics.js';
import type { ModelConfig } from '../../../runtime/model/model-config.js';
import type { SessionSpec } from '../../../runtime/pool/messages.js';
import { DynamicBatcher } from '../../../runtime/scheduler/dynamic-batcher.js';
import type { BackendInferResult as PoolInferResult } from '../../../runtime/scheduler/inference-backend.js';
import type { Tensor } from '../../../runtime/tensor/tensor.js';

/**
 * The batcher's side of isolation, against a stub pool whose runs the test settles: a version never runs
 * more batches at once than its cap (maxInstancesPerModel), and a batch past the execution timeout
 * (EXECUTION_TIMEOUT from the pool's watchdog) ends the version's service: its callers 504, the queued
 * requests 503 MODEL_NOT_READY with the reason, the lifecycle told once, new work refused.
 */
const model = {
  name: 'm', version: '1', maxBatchSize: 0, instances: 4,
  scheduling: { maxQueueDelayMs: 0, preferredBatchSizes: [], maxQueueSize: 100, defaultTimeoutMs: 0 },
} as unknown as ModelConfig;
const spec = { key: 'm/1#1', executionTimeoutMs: 1500 } as SessionSpec;
const input: Tensor = { name: 'x', datatype: 'FP32', shape: [1], data: new Float32Array([1]) };
const request = () => ({ inputs: [input], fetches: ['y'], priority: 2, timeoutMs: undefined });

class StubPool {
  readonly runs: { resolve(r: PoolInferResult): void; reject(e: unknown): void }[] = [];
  running = 0;
  maxRunning = 0;
  infer(): Promise<PoolInferResult> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise((resolve, reject) => {
      this.runs.push({ resolve: (r) => { this.running--; resolve(r); }, reject: (e) => { this.running--; reject(e); } });
    });
  }
}
const result = (): PoolInferResult => ({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: new Float32Array([2]) }], computeSeconds: 0.001 });
const tick = () => new Promise((r) => setImmediate(r));

describe('DynamicBatcher isolation', () => {
  it('runs at most maxInstances batches of a version at once, whatever its own instance count', async () => {
    const pool = new StubPool();
    const batcher = new DynamicBatcher(model, spec, pool, new Metrics(), { maxInstances: 1 });
    const answers = Array.from({ length: 3 }, () => batcher.enqueue(request()));
    for (let i = 0; i < 3; i++) {
      await tick();
      expect(pool.running).toBe(1);
      pool.runs[i]!.resolve(result());
    }
    expect((await Promise.all(answers)).map((a) => a.outputs[0]!.name)).toEqual(['y', 'y', 'y']);
    expect(pool.maxRunning).toBe(1);
  });

  it('on EXECUTION_TIMEOUT answers the batch 504, the queued requests MODEL_NOT_READY, tells the lifecycle once, and refuses new work', async () => {
    const pool = new StubPool();
    const reasons: string[] = [];
    const batcher = new DynamicBatcher(model, spec, pool, new Metrics(), { maxInstances: 1, onExecutionTimeout: (r) => reasons.push(r) });
    const stuck = batcher.enqueue(request());
    const queued = [batcher.enqueue(request()), batcher.enqueue(request())];
    const settled = Promise.allSettled([stuck, ...queued]);
    await tick();
    pool.runs[0]!.reject(new ClinferError('EXECUTION_TIMEOUT', 'the execution ran past its limit of 1500 ms'));
    const [first, ...rest] = await settled;
    expect(first).toMatchObject({ status: 'rejected', reason: { code: 'EXECUTION_TIMEOUT', message: expect.stringMatching(/model 'm' version 1: .*execution timeout of 1500 ms/) } });
    for (const r of rest) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'MODEL_NOT_READY', message: expect.stringMatching(/UNAVAILABLE: .*execution timeout/) } });
    expect(pool.runs).toHaveLength(1);
    expect(reasons).toEqual([expect.stringMatching(/execution timeout of 1500 ms/)]);
    await expect(batcher.enqueue(request())).rejects.toMatchObject({ code: 'MODEL_NOT_READY', message: expect.stringMatching(/UNAVAILABLE/) });
    expect(batcher.inflightCount).toBe(0);
    await batcher.stop();
  });
});
