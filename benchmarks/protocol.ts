/** Messages between benchmarks/run.ts and its child processes (loadgen.ts, server-child.ts, clinfer-child.mjs). */

/** How the load generator checks a response, so that a benchmark of error pages cannot pass. */
export type ResponseCheck =
  /** OIP v2 JSON response: the output holds `elements` numbers. */
  | { readonly format: 'json'; readonly output: string; readonly elements: number }
  /** Binary tensor data extension: JSON header + raw bytes (Inference-Header-Content-Length). */
  | { readonly format: 'binary'; readonly output: string; readonly elements: number }
  /** /v1 predict with application/json: `predictions` holds one entry per record, each a probability. */
  | { readonly format: 'predict'; readonly predictions: number }
  /** /v1 predict with application/fhir+json: a Bundle holding `riskAssessments` RiskAssessments. */
  | { readonly format: 'fhir'; readonly riskAssessments: number };

export interface LoadJob {
  readonly type: 'run';
  readonly id: number;
  /** Loopback only: the load generator refuses any other host. Path and query string are sent. */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly concurrency: number;
  /** Warm-up at the same concurrency before measuring (every client sends at least one request). */
  readonly warmupSeconds: number;
  /** Length of the measured phase: clients stop issuing after it and the answers in flight are awaited. */
  readonly seconds: number;
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

/** What a server child serves: clinfer with a config (clinfer-child.mjs), the naive server for one model, the HTTP floor, or the thread floor of a model of run/models.ts (server-child.ts). */
export type ServerSpec =
  | { readonly kind: 'clinfer'; readonly config: Record<string, unknown>; readonly readyModels: readonly string[] }
  | { readonly kind: 'naive'; readonly modelPath: string }
  | { readonly kind: 'floor'; readonly output: string; readonly elements: number }
  | { readonly kind: 'thread-floor'; readonly model: string; readonly threads: number };

export type ToServer = { readonly type: 'start'; readonly spec: ServerSpec } | { readonly type: 'stop' };
export type FromServer = { readonly type: 'ready'; readonly url: string } | { readonly type: 'error'; readonly message: string } | { readonly type: 'stopped' };
