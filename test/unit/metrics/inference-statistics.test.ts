import { describe, expect, it } from 'vitest';
import { InferenceStatistics } from '../../../runtime/metrics/inference-statistics.js';

describe('inference statistics (Triton statistics extension)', () => {
  it('counts requests, queue waits, executions and batch sizes per version, in integer nanoseconds', () => {
    const s = new InferenceStatistics();
    s.queued('m', '1', 0.001);
    s.queued('m', '1', 0.002);
    s.executed('m', '1', 2, 5, 0.010);
    s.request('m', '1', true, 0.015);
    s.request('m', '1', true, 0.020);
    s.request('m', '1', false, 0.001);
    s.executed('m', '1', 1, 5, 0.008);
    const m = s.of('m', '1');
    expect(m).toMatchObject({ name: 'm', version: '1', inference_count: 10, execution_count: 2 });
    expect(m.inference_stats.success).toEqual({ count: 2, ns: 35_000_000 });
    expect(m.inference_stats.fail).toEqual({ count: 1, ns: 1_000_000 });
    expect(m.inference_stats.queue).toEqual({ count: 2, ns: 3_000_000 });
    expect(m.inference_stats.compute_infer).toEqual({ count: 3, ns: 28_000_000 });
    expect(m.inference_stats.compute_input.count).toBe(3);
    expect(m.batch_stats).toEqual([{ batch_size: 5, compute_input: { count: 2, ns: 0 }, compute_infer: { count: 2, ns: 18_000_000 }, compute_output: { count: 2, ns: 0 } }]);
    expect(m.last_inference).toBeGreaterThan(0);
  });

  it('keeps versions apart, ignores unresolved requests, and hands out copies', () => {
    const s = new InferenceStatistics();
    s.request('_unknown', '', false, 1);
    s.executed('m', '2', 1, 1, 0.001);
    expect(s.of('m', '1')).toMatchObject({ inference_count: 0, execution_count: 0, last_inference: 0, batch_stats: [] });
    const copy = s.of('m', '2');
    copy.execution_count = 99;
    expect(s.of('m', '2').execution_count).toBe(1);
  });
});
