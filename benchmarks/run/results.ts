/**
 * What one run measured: in-process limits, HTTP rows and the figures of the parts that call other
 * benchmark scripts. One BenchResults per run, passed to every part (no module-level state), and
 * rebuilt from latest.json by --redraw and from the baseline file for "before".
 */
import type { ProfileSummary } from '../profile-summary.js';
import type { LatencySummary } from '../stats.js';

export interface RawLimit {
  model: string;
  sessions: number;
  intraOpThreads: number;
  batch: number;
  itemsPerSec: number;
  /** Mean session.run time per batch, ms. */
  meanRunMs: number;
  runs: number;
  /** CPU of the benchmark process meanwhile (its worker threads run ONNX Runtime), % of one core. */
  cpuPct: number;
  otherCpuPct?: number;
  remeasured?: boolean;
}

export interface RawLatency extends LatencySummary {
  model: string;
  /** One session, batch 1, back to back on its own thread: session.run latency. */
  runs: number;
  otherCpuPct?: number;
  remeasured?: boolean;
}

export type HttpPart = 'A' | 'B' | 'C' | 'D';

export interface HttpRow extends Partial<LatencySummary> {
  part: HttpPart;
  model: string;
  /** http-floor, thread-floor, naive-express, clinfer-json, clinfer-binary, clinfer-records-1, clinfer-records-32, clinfer-fhir, clinfer-oip-binary. */
  system: string;
  /** clinfer only: dynamic batching on (the model's max_batch_size) or off (max_batch_size 0). */
  batching?: 'on' | 'off';
  /** clinfer workers x intraOpThreads. */
  config?: string;
  round?: number;
  concurrency: number;
  itemsPerRequest: number;
  requests: number;
  errors: number;
  wallMs: number;
  reqPerSec: number;
  itemsPerSec: number;
  /** CPU of the server process, of its main thread, of the load generator, and of everything else, % of one core. */
  serverCpuPct?: number;
  serverMainThreadCpuPct?: number;
  /** Server main thread CPU time per request, ms. */
  mainThreadMsPerRequest?: number;
  /** Server process CPU time (all threads) per item, ms. */
  serverCpuMsPerItem?: number;
  clientCpuPct?: number;
  otherCpuPct?: number;
  /** From clinfer's /metrics over the measured phase. */
  clinfer?: { batches: number; meanBatchSize: number; meanComputeMs: number; meanQueueMs: number };
  /** clinfer_event_loop_lag_seconds over the measured phase (histogram delta): samples, p99 and max bucket bounds, ms. */
  eventLoopLag?: EventLoopLag;
  /** Throughput ÷ the in-process limit at batch 1 and at the best batch size (same number of sessions). */
  vsLimitBatch1?: number;
  vsLimitBest?: number;
  vsNaive?: number;
  /** Batching on ÷ off, same format and concurrency (on the "on" row). */
  onOverOff?: number;
  failed?: string;
  remeasured?: boolean;
  profiled?: boolean;
}

export interface EventLoopLag {
  samples: number;
  /** Upper bound of the histogram bucket holding the 99th percentile, ms (Infinity past the last bucket). */
  p99Ms: number;
  /** Upper bound of the highest non-empty bucket, ms. */
  maxMs: number;
  meanMs: number;
}

/** Part E: benchmarks/audit-http.ts's JSON line, as it printed it. */
export interface AuditFigures {
  on_over_off: number;
  off_median_rps: number;
  on_median_rps: number;
  clients: number;
  rounds: number;
  seconds_per_round: number;
  warm_seconds: number;
  served_from: 'dist' | 'source';
  [key: string]: unknown;
}

/** The main thread of an audit-http.ts server (audit on or off) under --cpu-prof, over about its measured phase. */
export interface AuditProfile {
  mode: 'on' | 'off';
  rps: number;
  seconds: number;
  summary: ProfileSummary;
}

/** A part that could not run here, or failed: shown in the report as "not measured: <why>". */
export interface Skipped {
  part: string;
  why: string;
}

export class BenchResults {
  readonly rawLimits: RawLimit[] = [];
  readonly rawLatencies: RawLatency[] = [];
  readonly rows: HttpRow[] = [];
  audit: AuditFigures | undefined;
  auditProfiles: AuditProfile[] = [];
  /** Part F, as benchmarks/startup.ts returns it (its own shape). */
  startup: unknown;
  /** Part G, as benchmarks/imaging.ts returns it, or its last results/imaging.json. */
  imaging: { source: string; figures: unknown } | undefined;
  /** Part H: cold bytes to the first result, and what browser.ts returned. */
  browser: { coldBytes: number; byEncoding: Record<string, number>; figures: unknown } | undefined;
  readonly skipped: Skipped[] = [];
  /** Part B: Observations in the FHIR Bundle of each request. */
  fhirObservations: number | undefined;
  readonly workers: number;

  constructor(workers: number) {
    this.workers = workers;
  }

  findRow(part: HttpPart, model: string, system: string, c: number, batching?: 'on' | 'off'): HttpRow | undefined {
    return this.rows.find((r) => r.part === part && r.model === model && r.system === system && r.concurrency === c && r.batching === batching && !r.failed && !r.profiled);
  }

  limitsOf(model: string, sessions = this.workers, threads = 1): RawLimit[] {
    return this.rawLimits.filter((l) => l.model === model && l.sessions === sessions && l.intraOpThreads === threads);
  }

  limitBatch1(model: string, sessions = this.workers, threads = 1): RawLimit | undefined {
    return this.limitsOf(model, sessions, threads).find((l) => l.batch === 1);
  }

  limitBest(model: string, sessions = this.workers, threads = 1): RawLimit | undefined {
    return this.limitsOf(model, sessions, threads).reduce<RawLimit | undefined>((b, l) => (!b || l.itemsPerSec > b.itemsPerSec ? l : b), undefined);
  }

  latencyOf(model: string): RawLatency | undefined {
    return this.rawLatencies.find((l) => l.model === model);
  }
}

/** A results file (latest.json, a baseline) read back; parts it lacks stay empty. */
export interface SavedRun {
  date: string;
  quick: boolean;
  machine: { cpuModel: string; cores: number; gitRevision: string };
  settings: { concurrency: number[]; workers: number };
  inProcessLimits: RawLimit[];
  inProcessLatency: RawLatency[];
  http: HttpRow[];
  audit?: AuditFigures | null;
  auditProfiles?: AuditProfile[];
  startup?: unknown;
  imaging?: BenchResults['imaging'] | null;
  browser?: BenchResults['browser'] | null;
  skipped?: Skipped[];
}

export function resultsFromSaved(saved: SavedRun): BenchResults {
  const r = new BenchResults(saved.settings.workers ?? 2);
  r.rawLimits.push(...saved.inProcessLimits);
  r.rawLatencies.push(...saved.inProcessLatency);
  // JSON has no Infinity or NaN: they were written as null.
  r.rows.push(...saved.http.map((row) => ({ ...row, itemsPerSec: row.itemsPerSec ?? NaN, reqPerSec: row.reqPerSec ?? NaN })));
  r.audit = saved.audit ?? undefined;
  r.auditProfiles = saved.auditProfiles ?? [];
  r.startup = saved.startup ?? undefined;
  r.imaging = saved.imaging ?? undefined;
  r.browser = saved.browser ?? undefined;
  r.skipped.push(...(saved.skipped ?? []));
  return r;
}
