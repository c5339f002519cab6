import { describe, expect, it } from 'vitest';
import { overrideFromLoadParameters, parseConfigOverride } from '../../../runtime/model/config-override.js';

const parse = (config: unknown) => parseConfigOverride('m', JSON.stringify(config));

describe('load configuration override (Triton parameters.config)', () => {
  it('reads what clinfer applies, 64-bit integers as numbers or strings', () => {
    expect(parse({
      name: 'm', platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 8,
      dynamic_batching: { preferred_batch_size: [2, 4], max_queue_delay_microseconds: '250', default_queue_policy: { max_queue_size: 10, default_timeout_microseconds: 5000 } },
    })).toEqual({ maxBatchSize: 8, preferredBatchSizes: [2, 4], maxQueueDelayUs: 250, maxQueueSize: 10, defaultTimeoutUs: 5000 });
    expect(parse({})).toEqual({});
  });

  it('refuses every field it would not apply, naming it', () => {
    const cases: [unknown, RegExp][] = [
      [{ input: [] }, /field 'input' cannot be overridden/],
      [{ sequence_batching: {} }, /field 'sequence_batching' cannot be overridden/],
      [{ dynamic_batching: { priority_levels: 3 } }, /field 'dynamic_batching.priority_levels' cannot be overridden/],
      [{ dynamic_batching: { default_queue_policy: { timeout_action: 'DELAY' } } }, /'dynamic_batching.default_queue_policy.timeout_action' cannot be overridden/],
      [{ dynamic_batching: { default_queue_policy: { max_queue_size: 0 } } }, /must be at least 1/],
      [{ dynamic_batching: { preferred_batch_size: [0] } }, /preferred_batch_size\[0\]' must be at least 1/],
      [{ dynamic_batching: { preferred_batch_size: 4 } }, /must be an array/],
      [{ max_batch_size: 1.5 }, /'max_batch_size' must be an integer/],
      [{ max_batch_size: 70000 }, /from 0 to 65536/],
      [{ name: 'other' }, /field 'name' is "other"/],
      [{ platform: 'tensorrt_plan' }, /'platform' must be 'onnxruntime_onnx'/],
      [[1], /must be a JSON object/],
    ];
    for (const [config, message] of cases) {
      expect(() => parse(config), JSON.stringify(config)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER', message: expect.stringMatching(message) }));
    }
    expect(() => parseConfigOverride('m', '{')).toThrow(/is not valid JSON/);
    expect(() => parseConfigOverride('m', 42)).toThrow(/must be a string/);
  });

  it('takes config among the load parameters and refuses files and unknown names', () => {
    expect(overrideFromLoadParameters('m', {})).toBeUndefined();
    expect(overrideFromLoadParameters('m', { config: '{"max_batch_size": 0}' })).toEqual({ maxBatchSize: 0 });
    expect(() => overrideFromLoadParameters('m', { 'file:1/model.onnx': 'x' })).toThrow(/model files cannot be sent with a load/);
    expect(() => overrideFromLoadParameters('m', { poll: true })).toThrow(/parameters.poll is not a load parameter/);
  });
});
