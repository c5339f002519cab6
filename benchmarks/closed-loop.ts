/** The closed loop shared by the HTTP load generator (benchmarks/loadgen.ts). */

export interface LoopResult {
  /** Latency of each successful request in milliseconds, in completion order. */
  readonly latencies: Float64Array;
  /** From the first request issued to the last answer received. */
  readonly wallMs: number;
  readonly errors: number;
  readonly firstError: string | undefined;
}

/**
 * `concurrency` clients each issue a request, wait for its answer and issue the next, until `seconds`
 * have passed (or `maxRequests` were issued); requests in flight at the deadline are waited for and
 * counted, so every client sends at least one. `send` resolves on success and rejects on failure (an
 * HTTP status other than 200 is a failure). Time-bounded rows keep the whole run's duration fixed
 * whatever the speed of the system measured.
 */
export async function closedLoop(send: () => Promise<unknown>, concurrency: number, seconds: number, maxRequests = Number.POSITIVE_INFINITY): Promise<LoopResult> {
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async () => {
    do {
      issued++;
      const t0 = performance.now();
      try {
        await send();
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    } while (performance.now() < deadline && issued < maxRequests);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, maxRequests)) }, client));
  return { latencies: Float64Array.from(latencies), wallMs: performance.now() - started, errors, firstError };
}
