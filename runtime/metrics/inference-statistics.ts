/**
 * Triton's statistics extension (per model version: request outcomes, queue and compute time, batch
 * sizes), kept at the same points that feed the Prometheus metrics (countRequest and the batcher), in
 * integer nanoseconds as Triton reports them. Cumulative since the server started, like the counters.
 */
export interface Duration { count: number; ns: number }

export interface VersionStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last successful inference; 0 if none. */
  last_inference: number;
  /** Inferences performed: a request of N rows counts N (Triton's meaning). */
  inference_count: number;
  /** Model executions (batches run). */
  execution_count: number;
  inference_stats: { success: Duration; fail: Duration; queue: Duration; compute_input: Duration; compute_infer: Duration; compute_output: Duration };
  batch_stats: { batch_size: number; compute_input: Duration; compute_infer: Duration; compute_output: Duration }[];
}

const zero = (): Duration => ({ count: 0, ns: 0 });
const add = (d: Duration, seconds: number, count = 1): void => {
  d.count += count;
  d.ns += Math.round(seconds * 1e9);
};

export class InferenceStatistics {
  readonly #versions = new Map<string, VersionStatistics>();

  #of(model: string, version: string): VersionStatistics {
    const key = `${model}\u0000${version}`;
    let s = this.#versions.get(key);
    if (!s) {
      s = {
        name: model, version, last_inference: 0, inference_count: 0, execution_count: 0,
        inference_stats: { success: zero(), fail: zero(), queue: zero(), compute_input: zero(), compute_infer: zero(), compute_output: zero() },
        batch_stats: [],
      };
      this.#versions.set(key, s);
    }
    return s;
  }

  /** A request answered (success) or refused/failed, with its end-to-end duration; unresolved models are not kept. */
  request(model: string, version: string, ok: boolean, seconds: number): void {
    if (model === '_unknown' || version === '') return;
    const s = this.#of(model, version);
    add(ok ? s.inference_stats.success : s.inference_stats.fail, seconds);
    if (ok) s.last_inference = Date.now();
  }

  /** The time one request waited in the queue before its batch started. */
  queued(model: string, version: string, seconds: number): void {
    add(this.#of(model, version).inference_stats.queue, seconds);
  }

  /**
   * One batch executed: `requests` requests of `rows` rows in all. The worker's run covers input
   * and output handling too, so compute_input and compute_output count the same requests with no time.
   */
  executed(model: string, version: string, requests: number, rows: number, seconds: number): void {
    const s = this.#of(model, version);
    s.execution_count += 1;
    s.inference_count += rows;
    add(s.inference_stats.compute_infer, seconds * requests, requests);
    add(s.inference_stats.compute_input, 0, requests);
    add(s.inference_stats.compute_output, 0, requests);
    let b = s.batch_stats.find((x) => x.batch_size === rows);
    if (!b) {
      b = { batch_size: rows, compute_input: zero(), compute_infer: zero(), compute_output: zero() };
      s.batch_stats.push(b);
      s.batch_stats.sort((x, y) => x.batch_size - y.batch_size);
    }
    add(b.compute_infer, seconds);
    add(b.compute_input, 0);
    add(b.compute_output, 0);
  }

  /** A copy of one version's statistics (zeros when it has served nothing yet). */
  of(model: string, version: string): VersionStatistics {
    return structuredClone(this.#of(model, version));
  }
}
