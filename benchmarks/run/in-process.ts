/**
 * The in-process limit: N worker threads, one onnxruntime-node session each, batches back to back (no
 * HTTP, no JSON, no dispatch), and one session alone at batch 1 for the latency reference. Like the
 * HTTP rows, a limit measured while other processes were busy is measured again: a disturbed limit
 * would flatter every "× limit" ratio.
 */
import { Worker } from 'node:worker_threads';
import type { RawLoop, RawWorkerData, RawWorkerReply } from '../raw-worker.js';
import { fmt, summarize } from '../stats.js';
import { type BenchContext, OTHER_RETRY_PCT } from './context.js';
import { machineMeter } from './machine.js';
import type { TensorModel } from './models.js';
import { TSX } from './paths.js';
import type { RawLatency, RawLimit } from './results.js';

async function startRawWorkers(m: TensorModel, sessions: number, intraOpThreads: number): Promise<Worker[]> {
  const data: RawWorkerData = {
    modelPath: m.modelPath, input: m.input, output: m.output, itemDims: m.itemDims,
    outputPerItem: m.outputPerItem, sample: m.sample, intraOpThreads,
  };
  // raw-worker-entry.cjs requires raw-worker.ts (a worker thread cannot start from a .ts file).
  const entry = new URL('../raw-worker-entry.cjs', import.meta.url);
  const workers = Array.from({ length: sessions }, () => new Worker(entry, { workerData: data, execArgv: ['--import', TSX] }));
  await Promise.all(workers.map((w) => new Promise<void>((ok, no) => {
    w.once('error', no);
    w.once('message', (r: RawWorkerReply) => (r.kind === 'ready' ? ok() : no(new Error(r.kind === 'error' ? r.message : 'raw worker failed'))));
  })));
  return workers;
}

function rawLoop(w: Worker, loop: RawLoop): Promise<Extract<RawWorkerReply, { kind: 'loop' }>> {
  return new Promise((ok, no) => {
    w.once('message', (r: RawWorkerReply) => (r.kind === 'loop' ? ok(r) : no(new Error(r.kind === 'error' ? r.message : 'unexpected reply'))));
    w.postMessage(loop);
  });
}

export async function measureRawLimits(ctx: BenchContext, m: TensorModel, sessions: number, intraOpThreads: number, batches: readonly number[], latency: boolean): Promise<void> {
  const { rawSeconds, rawWarmMs } = ctx.opts;
  const workers = await startRawWorkers(m, sessions, intraOpThreads);
  const leastDisturbed = async <T extends { otherCpuPct?: number; remeasured?: boolean }>(measure: () => Promise<T>, describe: (t: T) => string): Promise<T> => {
    let best = await measure();
    ctx.log(describe(best));
    for (let retry = 0; retry < 2 && (best.otherCpuPct ?? 0) > OTHER_RETRY_PCT && ctx.mayRetry(); retry++) {
      const again = await ctx.retry(measure);
      ctx.log(`${describe(again)} (measured again)`);
      if ((again.otherCpuPct ?? 0) < (best.otherCpuPct ?? 0)) best = again;
      best.remeasured = true;
    }
    return best;
  };
  try {
    if (latency) {
      const lat = await leastDisturbed(async (): Promise<RawLatency> => {
        const stop = machineMeter();
        const r = await rawLoop(workers[0]!, { kind: 'loop', batch: 1, warmupMs: rawWarmMs, ms: rawSeconds * 1000 });
        const cpu = stop();
        const wallMs = r.elapsedMs + rawWarmMs;
        return {
          model: m.name, runs: r.runs, ...summarize(r.latencies),
          ...(cpu.machineBusyMs !== undefined ? { otherCpuPct: (Math.max(0, cpu.machineBusyMs - cpu.ownMs) / wallMs) * 100 } : {}),
        };
      }, (l) => `  ${m.name} in-process latency (1 session, batch 1): p50 ${fmt(l.p50Ms)} ms  p99 ${fmt(l.p99Ms)} ms  other ${fmt(l.otherCpuPct)} %`);
      ctx.results.rawLatencies.push(lat);
    }
    for (const batch of batches) {
      const limit = await leastDisturbed(async (): Promise<RawLimit> => {
        const stop = machineMeter();
        const replies = await Promise.all(workers.map((w) => rawLoop(w, { kind: 'loop', batch, warmupMs: rawWarmMs, ms: rawSeconds * 1000 })));
        const cpu = stop();
        const wallMs = Math.max(...replies.map((r) => r.elapsedMs + rawWarmMs));
        const runs = replies.reduce((s, r) => s + r.runs, 0);
        const runMs = replies.reduce((s, r) => s + r.latencies.reduce((a, b) => a + b, 0), 0);
        return {
          model: m.name, sessions, intraOpThreads, batch, runs,
          itemsPerSec: replies.reduce((s, r) => s + (r.runs * batch) / (r.elapsedMs / 1000), 0),
          meanRunMs: runMs / runs,
          cpuPct: (cpu.ownMs / wallMs) * 100,
          ...(cpu.machineBusyMs !== undefined ? { otherCpuPct: (Math.max(0, cpu.machineBusyMs - cpu.ownMs) / wallMs) * 100 } : {}),
        };
      }, (l) => `  ${m.name} in-process ${sessions}x${intraOpThreads} batch ${String(batch).padStart(2)}: ${fmt(l.itemsPerSec).padStart(6)} items/s  ${fmt(l.meanRunMs)} ms/run  other ${fmt(l.otherCpuPct)} %`);
      ctx.results.rawLimits.push(limit);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
