import { describe, expect, it } from 'vitest';
import { readSchedulingParameters } from '../../../runtime/protocol/scheduling-parameters.js';

describe('readSchedulingParameters', () => {
  it('defaults to ROUTINE and no timeout', () => {
    expect(readSchedulingParameters({}, {})).toEqual({ priority: 2, timeoutMs: undefined });
    expect(readSchedulingParameters({ priority: 0, timeout: 0 }, {})).toEqual({ priority: 2, timeoutMs: undefined });
  });

  it('reads Triton parameters, and headers for clients that cannot set them; parameters win', () => {
    expect(readSchedulingParameters({ priority: 1, timeout: 250_000 }, {})).toEqual({ priority: 1, timeoutMs: 250 });
    expect(readSchedulingParameters({}, { priority: 'STAT', timeout: '1500' })).toEqual({ priority: 1, timeoutMs: 1.5 });
    expect(readSchedulingParameters({}, { priority: 'routine' }).priority).toBe(2);
    expect(readSchedulingParameters({ priority: 2 }, { priority: 'stat' }).priority).toBe(2);
  });

  it.each([
    [{ priority: 3 }, {}, /'priority' must be an integer from 0/],
    [{ priority: '1' }, {}, /'priority'/],
    [{ timeout: -1 }, {}, /'timeout' must be a non-negative integer of microseconds/],
    [{ timeout: 1.5 }, {}, /'timeout'/],
    [{}, { priority: 'urgent' }, /Clinfer-Priority must be 'stat', 'routine'/],
    [{}, { timeout: '1s' }, /Clinfer-Timeout/],
  ])('refuses %j %j', (parameters, headers, message) => {
    expect(() => readSchedulingParameters(parameters, headers)).toThrow(message);
  });
});
