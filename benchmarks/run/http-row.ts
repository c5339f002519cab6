/**
 * One HTTP row: a closed loop of C clients against one server for a bounded time, with the server's CPU
 * (process and main thread, from /proc), the machine's, and for clinfer what /metrics saw in the measured
 * phase (batches, compute, queue, event-loop lag). A row disturbed by other processes is measured again.
 */
import { processCpu, threadCpu, fmt, summarize, type ThreadCpu } from '../stats.js';
import { scrape, scrapeDelta, type Scrape, type ServerChild } from './children.js';
import { type BenchContext, OTHER_RETRY_PCT } from './context.js';
import { machineMeter } from './machine.js';
import type { Payload } from './models.js';
import type { HttpPart, HttpRow } from './results.js';

export interface RowSpec {
  part: HttpPart;
  model: string;
  system: string;
  batching?: 'on' | 'off';
  config?: string;
  round?: number;
  concurrency: number;
  payload: Payload;
  server: ServerChild;
  seconds?: number;
  /** Filled with the measured phase, in µs of CLOCK_MONOTONIC (the clock of V8's CPU profiles). */
  window?: { fromUs: number; toUs: number };
  /** Filled with the CPU time of each server thread at the start and end of the measured phase. */
  threads?: { before?: ThreadCpu; after?: ThreadCpu };
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export async function measureHttp(ctx: BenchContext, spec: RowSpec): Promise<HttpRow> {
  const { server, payload } = spec;
  let stopMachine = machineMeter();
  let cpu0 = processCpu(server.pid);
  let before: Scrape | undefined = server.isClinfer ? await scrape(server, spec.model) : undefined;
  const result = await ctx.loadgen.run({
    url: server.url + payload.path, headers: payload.headers, body: payload.body,
    concurrency: spec.concurrency, warmupSeconds: ctx.opts.warmSeconds, seconds: spec.seconds ?? ctx.opts.rowSeconds,
    requestTimeoutMs: 60_000, check: payload.check, client: ctx.opts.client,
  }, async () => {
    if (server.isClinfer) before = await scrape(server, spec.model);
    stopMachine = machineMeter();
    cpu0 = processCpu(server.pid);
    if (spec.window) spec.window.fromUs = monotonicUs();
    if (spec.threads) spec.threads.before = threadCpu(server.pid);
  });
  if (spec.window) spec.window.toUs = monotonicUs();
  if (spec.threads) spec.threads.after = threadCpu(server.pid);
  const cpu1 = processCpu(server.pid);
  const machine = stopMachine();
  const pct = (ms: number) => (ms / result.wallMs) * 100;
  const requests = result.latenciesMs.length;
  const row: HttpRow = {
    ...identity(spec),
    requests, errors: result.errors, wallMs: result.wallMs,
    reqPerSec: requests / (result.wallMs / 1000), itemsPerSec: (requests * payload.items) / (result.wallMs / 1000),
    ...summarize(result.latenciesMs),
    clientCpuPct: pct(result.cpuMs),
    ...(result.firstError ? { failed: result.firstError } : {}),
  };
  if (cpu0 && cpu1) {
    row.serverCpuPct = pct(cpu1.processMs - cpu0.processMs);
    row.serverMainThreadCpuPct = pct(cpu1.mainThreadMs - cpu0.mainThreadMs);
    row.mainThreadMsPerRequest = requests > 0 ? (cpu1.mainThreadMs - cpu0.mainThreadMs) / requests : undefined;
    row.serverCpuMsPerItem = requests > 0 ? (cpu1.processMs - cpu0.processMs) / (requests * payload.items) : undefined;
    if (machine.machineBusyMs !== undefined) {
      row.otherCpuPct = pct(Math.max(0, machine.machineBusyMs - (cpu1.processMs - cpu0.processMs) - result.cpuMs - machine.ownMs));
    }
  }
  if (server.isClinfer && before) {
    const delta = scrapeDelta(before, await scrape(server, spec.model));
    row.clinfer = delta.clinfer;
    if (delta.eventLoopLag) row.eventLoopLag = delta.eventLoopLag;
  }
  return row;
}

function identity(spec: RowSpec): Pick<HttpRow, 'part' | 'model' | 'system' | 'batching' | 'config' | 'round' | 'concurrency' | 'itemsPerRequest'> {
  return {
    part: spec.part, model: spec.model, system: spec.system,
    ...(spec.batching ? { batching: spec.batching } : {}), ...(spec.config ? { config: spec.config } : {}), ...(spec.round !== undefined ? { round: spec.round } : {}),
    concurrency: spec.concurrency, itemsPerRequest: spec.payload.items,
  };
}

function failedRow(spec: RowSpec, error: unknown): HttpRow {
  return {
    ...identity(spec), requests: 0, errors: 0, wallMs: 0, reqPerSec: NaN, itemsPerSec: NaN,
    failed: error instanceof Error ? error.message : String(error),
  };
}

export function describeRow(r: HttpRow): string {
  const what = [r.system, r.batching ? `batching ${r.batching}` : '', r.config ?? '', r.round !== undefined ? `round ${r.round}` : ''].filter(Boolean).join(' ');
  const batch = r.clinfer ? ` batch ${fmt(r.clinfer.meanBatchSize)}` : '';
  const bad = r.errors ? ` ERRORS ${r.errors} (${r.failed})` : r.failed ? ` FAILED ${r.failed}` : '';
  const unit = r.itemsPerRequest > 1 ? `req/s (${fmt(r.itemsPerSec)} items/s)` : 'req/s';
  return `  ${r.model} C=${r.concurrency} ${what.padEnd(34)} ${fmt(r.reqPerSec).padStart(6)} ${unit}  p50 ${fmt(r.p50Ms)}  p99 ${fmt(r.p99Ms)} ms${batch}  main thread ${fmt(r.serverMainThreadCpuPct)} %  other ${fmt(r.otherCpuPct)} %${bad}`;
}

/** Measures a row and records it; when other processes took a large share of the CPU, measures it again (bounded). */
export async function row(ctx: BenchContext, spec: RowSpec): Promise<HttpRow> {
  const measure = () => measureHttp(ctx, spec).catch((error: unknown) => failedRow(spec, error));
  let r = await measure();
  ctx.log(describeRow(r));
  for (let retry = 0; retry < 2 && (r.otherCpuPct ?? 0) > OTHER_RETRY_PCT && ctx.mayRetry(); retry++) {
    ctx.log(`    other processes used ${fmt(r.otherCpuPct)} % of a core during the least disturbed try so far: measuring it again`);
    const again = await ctx.retry(measure);
    ctx.log(describeRow(again));
    if (!again.failed && (again.otherCpuPct ?? 0) < (r.otherCpuPct ?? 0)) r = again;
    r.remeasured = true;
  }
  ctx.results.rows.push(r);
  return r;
}

/** × limit and × naive of a set of rows measured at one concurrency. */
export function relate(ctx: BenchContext, model: string, measured: readonly HttpRow[], naive: HttpRow | undefined): void {
  const b1 = ctx.results.limitBatch1(model);
  const best = ctx.results.limitBest(model);
  for (const r of measured) {
    if (r.failed) continue;
    if (b1) r.vsLimitBatch1 = r.itemsPerSec / b1.itemsPerSec;
    if (best) r.vsLimitBest = r.itemsPerSec / best.itemsPerSec;
    if (naive && r !== naive && !naive.failed) r.vsNaive = r.itemsPerSec / naive.itemsPerSec;
  }
}
