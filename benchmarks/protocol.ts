/** Messages between benchmarks/run.ts and the load generator child process (benchmarks/loadgen.ts). */

/** How the load generator checks one response so that a benchmark of error pages cannot pass. */
export interface ResponseCheck {
  /** 'json': OIP JSON response; 'binary': JSON header + raw bytes (Inference-Header-Content-Length). */
  readonly format: 'json' | 'binary';
  readonly output: string;
  /** Elements the output must hold (batch 1). */
  readonly elements: number;
}

export interface LoadJob {
  readonly type: 'run';
  readonly id: number;
  /** Loopback only: the load generator refuses any other host. */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly concurrency: number;
  readonly warmup: number;
  readonly count: number;
  /** Wall-clock budget of the measured phase; clients stop issuing once it is spent. */
  readonly maxSeconds: number;
  /** Per-request timeout. */
  readonly requestTimeoutMs: number;
  readonly check: ResponseCheck;
  readonly client: 'http' | 'fetch';
}

export interface LoadResult {
  readonly type: 'result';
  readonly id: number;
  /** Latency of each successful measured request, in milliseconds, in completion order. */
  readonly latenciesMs: Float64Array;
  readonly wallMs: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** True when the time budget ran out before `count` requests. */
  readonly truncated: boolean;
  /** CPU time (user + system) the load generator used during the measured phase, in ms. */
  readonly cpuMs: number;
}

export interface LoadFailure {
  readonly type: 'failure';
  readonly id: number;
  readonly message: string;
}

/** Sent by the load generator when warm-up is over; it waits for LoadGo before measuring. */
export interface LoadWarm {
  readonly type: 'warm';
  readonly id: number;
}

export interface LoadGo {
  readonly type: 'go';
  readonly id: number;
}

export type FromLoadgen = LoadWarm | LoadResult | LoadFailure;
