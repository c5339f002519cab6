import { describe, expect, it } from 'vitest';
import { isClinferError } from '../../../runtime/errors/index.js';
import type { ModelConfig } from '../../../runtime/model/model-config.js';
import { refuseOversizedJsonOutput, refuseOversizedJsonOutputs, worstJsonBytes } from '../../../runtime/protocol/json-output-size.js';
import { encodeInferResponse } from '../../../runtime/protocol/infer-response.js';

const thrown = (f: () => unknown) => {
  try { f(); } catch (e) { return e; }
  return undefined;
};

describe('JSON output size guard', () => {
  it('bounds the worst case from the element count: no real JSON text of the type is longer', () => {
    const worst = Float32Array.from([-1.1754943508222875e-38, -3.4028234663852886e38, 0.1, -1 / 3]);
    const text = JSON.stringify(Array.from(worst));
    expect(text.length).toBeLessThanOrEqual(worstJsonBytes('FP32', worst.length));
    const ints = BigInt64Array.from([-9223372036854775808n, 9223372036854775807n]);
    expect(JSON.stringify(Array.from(ints, String)).length).toBeLessThanOrEqual(worstJsonBytes('INT64', 2));
    expect(worstJsonBytes('FP32', 256 ** 3)).toBeGreaterThan(64 * 1024 * 1024);
  });

  it('refuses before the run when the static output shape passes the limit, naming the binary extension', () => {
    const model = { maxBatchSize: 2, outputs: [{ name: 'mask', datatype: 'FP32', shape: [-1, 1, 256, 256, 256] }, { name: 'n', datatype: 'INT64', shape: [-1, 1] }] } as unknown as ModelConfig;
    const error = thrown(() => refuseOversizedJsonOutputs(model, [{ name: 'mask', binary: false }], 1, 64 * 1024 * 1024));
    expect(isClinferError(error) && error.code).toBe('OUTPUT_TOO_LARGE_FOR_JSON');
    expect((error as Error).message).toMatch(/output 'mask' would take up to \d+ bytes as JSON.*binary_data_output: true/);
    expect(() => refuseOversizedJsonOutputs(model, [{ name: 'mask', binary: true }, { name: 'n', binary: false }], 2, 64 * 1024 * 1024)).not.toThrow();
  });

  it('refuses after the run for outputs of unknown size, before anything is stringified', () => {
    expect(() => refuseOversizedJsonOutput('y', 'FP32', [1000], new Float32Array(1000), 10_000)).toThrow(/output 'y'/);
    expect(() => refuseOversizedJsonOutput('y', 'FP32', [100], new Float32Array(100), 10_000)).not.toThrow();
    const model = { name: 'm', version: '1', digest: 'd' } as unknown as ModelConfig;
    const out = [{ name: 'y', datatype: 'FP32' as const, shape: [1000], data: new Float32Array(1000) }];
    expect(() => encodeInferResponse(model, undefined, out, [{ name: 'y', binary: false }], 10_000)).toThrow(/OUTPUT_TOO_LARGE_FOR_JSON|maxJsonResponseBytes/);
    expect(encodeInferResponse(model, undefined, out, [{ name: 'y', binary: true }], 10_000).byteLength).toBeGreaterThan(4000);
  });
});
