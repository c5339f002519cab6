/** Percentiles, Prometheus text parsing, CPU time from /proc and number formatting for benchmarks/run.ts. */
import { readdirSync, readFileSync } from 'node:fs';

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

/** Nearest-rank percentiles of the latencies (ms). */
export function summarize(latencies: Float64Array): LatencySummary {
  if (latencies.length === 0) return { p50Ms: NaN, p90Ms: NaN, p95Ms: NaN, p99Ms: NaN, meanMs: NaN, maxMs: NaN };
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50Ms: at(0.5), p90Ms: at(0.9), p95Ms: at(0.95), p99Ms: at(0.99), meanMs: sum / sorted.length, maxMs: sorted[sorted.length - 1]! };
}

/** `name{labels} value` samples of a Prometheus text exposition, keyed by `name|model`. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const model = /(?:^|,)model="([^"]*)"/.exec(m[2] ?? '')?.[1] ?? '';
    const le = /(?:^|,)le="([^"]*)"/.exec(m[2] ?? '')?.[1];
    if (le !== undefined) continue; // buckets are not needed here
    out.set(`${m[1]}|${model}`, (out.get(`${m[1]}|${model}`) ?? 0) + Number(m[3]));
  }
  return out;
}

export interface ClinferCounters {
  readonly batchSum: number;
  readonly batchCount: number;
  readonly computeSum: number;
  readonly computeCount: number;
  readonly queueSum: number;
  readonly queueCount: number;
}

export function clinferCounters(samples: Map<string, number>, model: string): ClinferCounters {
  const get = (name: string) => samples.get(`${name}|${model}`) ?? 0;
  return {
    batchSum: get('clinfer_inference_batch_size_sum'),
    batchCount: get('clinfer_inference_batch_size_count'),
    computeSum: get('clinfer_inference_compute_duration_seconds_sum'),
    computeCount: get('clinfer_inference_compute_duration_seconds_count'),
    queueSum: get('clinfer_inference_queue_duration_seconds_sum'),
    queueCount: get('clinfer_inference_queue_duration_seconds_count'),
  };
}

/** What happened between two scrapes: mean rows per batch, mean batch compute and mean queue wait (ms). */
export function counterDelta(before: ClinferCounters, after: ClinferCounters) {
  const batches = after.batchCount - before.batchCount;
  const queued = after.queueCount - before.queueCount;
  return {
    batches,
    meanBatchSize: batches > 0 ? (after.batchSum - before.batchSum) / batches : NaN,
    meanComputeMs: batches > 0 ? ((after.computeSum - before.computeSum) / (after.computeCount - before.computeCount)) * 1000 : NaN,
    meanQueueMs: queued > 0 ? ((after.queueSum - before.queueSum) / queued) * 1000 : NaN,
  };
}

/** 3 significant figures, thousands kept whole: 12345 -> "12345", 12.345 -> "12.3", 0.01234 -> "0.0123". */
export function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** A markdown table; the first `leftColumns` columns are left-aligned, the others right-aligned (numbers). */
export function markdownTable(header: string[], rows: string[][], leftColumns = 2): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = header.map((_, i) => (i < leftColumns ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

/** Machine-wide CPU time from /proc/stat (Linux), in ms; undefined elsewhere. */
export interface MachineCpu {
  readonly busyMs: number;
  readonly stealMs: number;
}

export function machineCpu(): MachineCpu | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number) as number[];
    const tick = 1000 / 100; // USER_HZ is 100 on Linux
    return { busyMs: (user! + nice! + system! + irq! + softirq!) * tick, stealMs: (steal ?? 0) * tick };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, ms) of a process and of its main thread (whose thread id is the process id),
 * from /proc/<pid>/stat and /proc/<pid>/task/<pid>/stat (Linux; 10 ms resolution); undefined elsewhere.
 */
export interface ProcessCpu {
  readonly processMs: number;
  readonly mainThreadMs: number;
}

export function processCpu(pid: number | undefined): ProcessCpu | undefined {
  if (pid === undefined) return undefined;
  const ticks = (file: string) => {
    const text = readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  try {
    return { processMs: ticks(`/proc/${pid}/stat`), mainThreadMs: ticks(`/proc/${pid}/task/${pid}/stat`) };
  } catch {
    return undefined;
  }
}

/** CPU time (ms) of every thread of a process, user and system apart, by thread id (Linux only). */
export type ThreadCpu = Map<number, { userMs: number; systemMs: number }>;

export function threadCpu(pid: number | undefined): ThreadCpu | undefined {
  if (pid === undefined) return undefined;
  const out: ThreadCpu = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
        out.set(Number(tid), { userMs: Number(fields[11]) * 10, systemMs: Number(fields[12]) * 10 });
      } catch {
        // The thread ended meanwhile.
      }
    }
    return out;
  } catch {
    return undefined;
  }
}
