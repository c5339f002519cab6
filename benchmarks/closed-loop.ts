/** The closed loop shared by the HTTP load generator and the in-process raw ONNX Runtime baseline. */

export interface LoopResult {
  /** Latency of each successful request in milliseconds, in completion order. */
  readonly latencies: Float64Array;
  readonly wallMs: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** True when the time budget ran out before `count` requests were issued. */
  readonly truncated: boolean;
}

/**
 * `concurrency` clients each issue a request, wait for its answer and issue the next, until `count`
 * requests have been issued in total or `maxSeconds` have passed. `send` resolves on success and
 * rejects on failure (an HTTP status other than 200 is a failure).
 */
export async function closedLoop(send: () => Promise<unknown>, concurrency: number, count: number, maxSeconds: number): Promise<LoopResult> {
  const latencies = new Float64Array(count);
  let issued = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  let truncated = false;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const client = async () => {
    while (issued < count) {
      if (performance.now() > deadline) {
        truncated = true;
        return;
      }
      issued++;
      const t0 = performance.now();
      try {
        await send();
        latencies[done++] = performance.now() - t0;
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, client));
  return { latencies: latencies.slice(0, done), wallMs: performance.now() - started, errors, firstError, truncated };
}
