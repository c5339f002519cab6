/**
 * The markdown report of a run (results/report.md, and stdout): issue 16's goals before -> now, the
 * profiles of missed goals, then each part's tables. Rendered from the run's record alone.
 */
import { formatSummary } from '../profile-summary.js';
import { fmt, markdownTable } from '../stats.js';
import { OTHER_RETRY_PCT } from './context.js';
import { browserReport, type BrowserFigures } from '../browser-report.js';
import { partCSummary } from './part-c-workers.js';
import { HEART, IMAGE_MODELS, MNIST, type TensorModel } from './models.js';
import type { RunRecord } from './record.js';
import type { BenchResults, HttpRow } from './results.js';

const pctText = (v: number | undefined) => (v === undefined ? '' : `${fmt(v * 100)} %`);
const ratioText = (v: number | undefined) => (v === undefined ? '' : fmt(v));
const cpuText = (r: HttpRow) => [fmt(r.serverCpuPct), fmt(r.serverMainThreadCpuPct), fmt(r.clientCpuPct), fmt(r.otherCpuPct)].join(' / ');
const note = (r: HttpRow) => (r.failed ? ` ⚠ ${r.errors ? `${r.errors} errors` : 'failed'}` : r.remeasured ? ' ↻' : '');
const verdict = (met: boolean | undefined, goal: string) => (goal === 'watched' ? 'watched' : met === undefined ? 'not measured' : met ? '**met**' : '**missed**');

export function renderReport(rec: RunRecord, res: BenchResults): string {
  const out: string[] = [];
  const s = rec.settings;
  const parts = new Set(s.parts);
  const m = rec.machine;
  out.push(`### Run of ${rec.date.slice(0, 16).replace('T', ' ')} UTC (\`npm run bench${rec.quick ? ' -- --quick' : ''}\`, ${rec.durationSeconds} s)`, '');
  out.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os} · Node ${m.node} · onnxruntime-node ${m.onnxruntimeNode} · express ${m.express} · clinfer ${m.clinfer} at \`${m.gitRevision}\` (runtime/ tree \`${m.runtimeSha256}\`). Other processes used ${fmt(m.backgroundCpuPctBeforeRun ?? undefined)} % of a core in the 2 s before the run.`);
  out.push('', `clinfer: ${s.workers} workers × intraOpThreads 1 unless said, one model version on at most ${s.maxInstancesPerModel ? `${s.maxInstancesPerModel} of them (maxInstancesPerModel)` : `${Math.max(1, s.workers - 1)} of them (maxInstancesPerModel default: one worker is kept for the other models)`}, ${!s.workerLending ? '' : 'while a kept worker is idle and no other model waits it is lent to the busy model (workerLending, docs/isolation.md#lending), '}${s.preferredBatchSizes && Object.keys(s.preferredBatchSizes).length ? `preferred batch sizes from the in-process table's best batch (${Object.entries(s.preferredBatchSizes).map(([k, v]) => `${k} ${v.join(', ')}`).join('; ')}; scheduling.preferred_batch_sizes, as an operator tunes a model), ` : ''}gRPC off, in its own process, ${s.servedFrom === 'dist' ? 'compiled (dist/, plain node, as production runs it)' : 'from the TypeScript sources through tsx'}. In-process limit: ${s.workers} worker threads, one onnxruntime-node session each (intraOpNumThreads 1), batches back to back. Naive: express + one session (ORT default threads) in the main thread. Load: closed loop, batch 1 per request (records: as stated), ${s.client === 'http' ? 'node:http keep-alive' : 'fetch'}, one connection per client, loopback, ${s.rowSeconds} s measured after ${s.warmupSeconds} s warm-up per row; load generator and servers share the ${m.cores} cores.`);
  const busy = res.rows.filter((r) => (r.otherCpuPct ?? 0) > OTHER_RETRY_PCT);
  if (busy.length) out.push('', `⚠ Other processes used over ${OTHER_RETRY_PCT} % of a core during ${busy.length} of ${res.rows.length} HTTP rows (column "other"), even after re-measuring: those rows understate the system measured.`);
  const busyLimits = [...res.rawLimits, ...res.rawLatencies].filter((l) => (l.otherCpuPct ?? 0) > OTHER_RETRY_PCT);
  if (busyLimits.length) out.push('', `⚠ Other processes used over ${OTHER_RETRY_PCT} % of a core during ${busyLimits.length} in-process measurements (column "other CPU %"), even after re-measuring: those limits are too low, and every "× limit" ratio computed from them too high.`);

  out.push('', '#### Goals (issue 16; reported, not asserted)', '');
  out.push(`Before: ${rec.baseline ? `\`${rec.baseline.file}\` (a run of ${rec.baseline.date.slice(0, 10)}, \`${rec.baseline.gitRevision}\`), or the source named in the cell` : 'no baseline file'}.`, '');
  out.push(markdownTable(['', 'measure', 'goal', 'before', 'now', 'result'], rec.goals.map((g) => [g.id, g.measure, g.goal, g.before.text, g.now.text, verdict(g.met, g.goal)]), 6));
  for (const g of rec.goals.filter((x) => x.detail)) out.push('', `${g.id}: ${g.detail}.`);
  for (const sk of res.skipped) out.push('', `Part ${sk.part} not measured: ${sk.why}.`);

  for (const p of rec.profiles) {
    out.push('', `#### Profile of missed goals ${p.targets.join(', ')}: clinfer on ${p.scenario} under \`node --cpu-prof\``, '');
    if (p.error || !p.mainThread) {
      out.push(`failed: ${p.error ?? 'no profile'}`);
      continue;
    }
    const r = p.row;
    out.push(`${s.profileSeconds} s under load while profiled: ${fmt(r?.itemsPerSec)} req/s, p50 ${fmt(r?.p50Ms)} ms, mean batch ${fmt(r?.clinfer?.meanBatchSize)}; server main thread ${fmt(r?.serverMainThreadCpuPct)} % of a core (${fmt(r?.mainThreadMsPerRequest)} ms per request), whole server process ${fmt(r?.serverCpuPct)} %; ONNX Runtime busy ${fmt(p.workerComputeBusyPct)} % of each worker (from /metrics: batches × mean compute ÷ wall ÷ workers; --cpu-prof reaches the main thread only). Main thread, self time by function (profile: \`${p.file}\`):`, '');
    if (p.threads?.length) {
      const shown = p.threads.filter((t) => t.userPct + t.systemPct >= 1);
      out.push(`Threads of the server process during that phase, CPU % of a core (user + system): ${shown.map((t) => `${t.thread} ${fmt(t.userPct + t.systemPct)} (${fmt(t.userPct)} + ${fmt(t.systemPct)})`).join(', ')}; ${p.threads.length - shown.length} more threads under 1 %.`, '');
    }
    out.push(formatSummary(p.mainThread));
    out.push('', `"busy" and self times are wall-clock time between samples outside the event loop's idle wait: on a contended machine they exceed the thread's CPU time (${fmt(r?.serverMainThreadCpuPct)} % here, from /proc).`);
  }

  if (res.auditProfiles.length) {
    out.push('', '#### Profile of missed goal G9: the audit-http.ts servers under `node --cpu-prof`, audit on and off', '');
    for (const p of res.auditProfiles) {
      out.push(`Audit ${p.mode}: ${fmt(p.rps)} req/s; main thread over the last ${fmt(p.seconds)} s of the profile (about the measured phase), self time by function:`, '', formatSummary(p.summary), '');
    }
  }
  if (parts.has('A')) {
    for (const model of IMAGE_MODELS) {
      out.push('', `#### A. ${model.name} (${model.label}; input 1×${model.itemDims.join('×')})`, '', 'In-process limit (onnxruntime-node, no HTTP):', '', limitTable(res, model), '', 'Over HTTP:', '', httpTable(res, 'A', model, s.concurrency));
    }
    out.push('', `http-floor: a node:http server that reads the (binary) request and sends a fixed small answer, no parsing, no inference: what the load generator, loopback and Node's HTTP stack cost per request here. thread-floor: the least a server that keeps ONNX Runtime off its event loop does (benchmarks/thread-floor-server.ts): node:http, the tensor bytes copied to a worker thread with its own session (as many threads as clinfer has workers, one request each, no batching), the output back as OIP JSON; no validation, metrics or audit. Its gap to the HTTP floor is the hop to a thread and back. × limit: img/s ÷ the in-process limit with as many sessions as clinfer has workers. on ÷ off: batching on ÷ off, same format and C. × naive: ÷ the naive server at the same C (it speaks JSON only). server CPU ms/img, main thread ms/img: CPU time of the server process (all threads), and of its main thread, per image. lag p99/max: clinfer_event_loop_lag_seconds over the row (bucket bounds). CPU %: of one core (the machine has ${m.cores * 100} %), server process / its main thread / load generator / everything else. ↻: measured again because other processes were busy. Chart: [latency-throughput.svg](latency-throughput.svg).`);
  }
  if (parts.has('B')) {
    out.push('', `#### B. EHR: heart-disease-risk through /v1 predict, C=${s.ehrConcurrency}`, '', partBTable(res), '', `FHIR: one Bundle per request, a Patient and ${s.fhirObservationsPerBundle} Observations (patient \`a\` of test/fixtures/fhir/two-patients.json), answered with a Bundle holding one RiskAssessment. clinfer-oip-binary: the same model through /v2 infer (binary, 1 row). mean batch: rows per ONNX Runtime run.`);
  }
  if (parts.has('C')) out.push('', '#### C. workers × intraOpThreads, ppocr binary, C=32', '', partCTable(res));
  if (parts.has('D')) {
    out.push('', `#### D. ${MNIST.name} (${MNIST.label}), C=${s.mnistConcurrency}`, '', 'In-process limit:', '', limitTable(res, MNIST), '', 'Over HTTP:', '', httpTable(res, 'D', MNIST, [s.mnistConcurrency]));
  }
  if (parts.has('E') && res.audit) out.push('', '#### E. audit log on/off (benchmarks/audit-http.ts)', '', '```json', JSON.stringify(res.audit), '```');
  if (parts.has('G') && res.imaging) out.push('', '#### G. imaging', '', `From ${res.imaging.source}. Run \`npm run bench:imaging\` to measure it; docs/imaging.md and benchmarks/README.md#imaging describe it.`);
  if (parts.has('H') && res.browser) out.push('', '#### H. web app in Chromium (benchmarks/browser.ts)', '', browserReport(res.browser.figures as BrowserFigures));
  return out.join('\n');
}

function limitTable(res: BenchResults, m: TensorModel): string {
  const lat = res.latencyOf(m.name);
  const best = res.limitBest(m.name);
  const table = res.rawLimits.filter((x) => x.model === m.name).map((l) => [
    `${l.sessions} × ${l.intraOpThreads}`, String(l.batch), fmt(l.itemsPerSec) + (l === best ? ' **best**' : '') + (l.remeasured ? ' ↻' : ''),
    fmt(l.meanRunMs), fmt(l.meanRunMs / l.batch), fmt((l.cpuPct * 10) / l.itemsPerSec), fmt(l.otherCpuPct),
  ]);
  return [
    markdownTable(['sessions × threads', 'batch', 'items/s', 'ms per run', 'ms per item', 'CPU ms per item', 'other CPU %'], table),
    '',
    lat ? `One session alone, batch 1: session.run p50 ${fmt(lat.p50Ms)} ms, p95 ${fmt(lat.p95Ms)} ms, p99 ${fmt(lat.p99Ms)} ms (${lat.runs} runs; other processes ${fmt(lat.otherCpuPct)} % of a core${lat.remeasured ? ', measured again' : ''}).` : '',
  ].join('\n');
}

function httpTable(res: BenchResults, part: 'A' | 'D', m: TensorModel, concurrency: readonly number[]): string {
  const table: string[][] = [];
  for (const c of concurrency) {
    for (const r of res.rows.filter((x) => x.part === part && x.model === m.name && x.concurrency === c && !x.profiled)) {
      table.push([
        String(c), r.system.replace('clinfer-', 'clinfer ') + note(r), r.batching ?? '', fmt(r.itemsPerSec), fmt(r.p50Ms), fmt(r.p95Ms), fmt(r.p99Ms),
        r.clinfer ? fmt(r.clinfer.meanBatchSize) : '', pctText(r.vsLimitBest), pctText(r.vsLimitBatch1), ratioText(r.onOverOff), ratioText(r.vsNaive),
        fmt(r.serverCpuMsPerItem), fmt(r.mainThreadMsPerRequest), r.eventLoopLag ? `${fmt(r.eventLoopLag.p99Ms)} / ${fmt(r.eventLoopLag.maxMs)}` : '', cpuText(r),
      ]);
    }
  }
  return markdownTable(['C', 'system', 'batching', 'img/s', 'p50 ms', 'p95 ms', 'p99 ms', 'mean batch', '× limit (best batch)', '× limit (batch 1)', 'on ÷ off', '× naive', 'server CPU ms/img', 'main thread ms/img', 'lag p99 / max ms', 'CPU % server / main thread / client / other'], table);
}

function partBTable(res: BenchResults): string {
  const b1 = res.limitBatch1(HEART.name);
  const b32 = res.limitsOf(HEART.name).find((l) => l.batch === 32);
  const table: string[][] = [];
  if (b1) table.push([`in-process ONNX Runtime, batch 1 (${res.workers} sessions)`, '1', '', fmt(b1.itemsPerSec), '', '', '', '', '', '', fmt((b1.cpuPct * 10) / b1.itemsPerSec), '']);
  if (b32) table.push([`in-process ONNX Runtime, batch 32 (${res.workers} sessions)`, '32', '', fmt(b32.itemsPerSec), '', '', '', '', '', '', fmt((b32.cpuPct * 10) / b32.itemsPerSec), '']);
  for (const r of res.rows.filter((x) => x.part === 'B')) {
    table.push([
      r.system + note(r), String(r.itemsPerRequest), fmt(r.reqPerSec), fmt(r.itemsPerSec), fmt(r.p50Ms), fmt(r.p95Ms), fmt(r.p99Ms),
      r.clinfer ? fmt(r.clinfer.meanBatchSize) : '', pctText(r.vsLimitBatch1), pctText(r.vsLimitBest), fmt(r.serverCpuMsPerItem), cpuText(r),
    ]);
  }
  return markdownTable(['system', 'records per request', 'req/s', 'records/s', 'p50 ms', 'p95 ms', 'p99 ms', 'mean batch (rows)', '× limit batch 1', '× limit batch 32', 'CPU ms per record', 'CPU % server / main thread / client / other'], table);
}

function partCTable(res: BenchResults): string {
  const table = res.rows.filter((x) => x.part === 'C').map((r) => [
    r.config ?? '', String(r.round ?? ''), fmt(r.itemsPerSec) + note(r), fmt(r.p50Ms), fmt(r.p95Ms), fmt(r.p99Ms),
    r.clinfer ? fmt(r.clinfer.meanBatchSize) : '', r.clinfer ? fmt(r.clinfer.meanComputeMs) : '', cpuText(r),
  ]);
  const s = partCSummary(res);
  const verdict = s.ratio === undefined ? 'not measured'
    : s.ratio > 1.03 ? `2 × 1 is faster: ${fmt(s.mean2x1)} against ${fmt(s.mean1x2)} img/s (${fmt(s.ratio)} ×); docs/configuration.md's claim holds here`
      : s.ratio < 0.97 ? `1 × 2 is faster: ${fmt(s.mean1x2)} against ${fmt(s.mean2x1)} img/s (2 × 1 is ${fmt(s.ratio)} × of it); docs/configuration.md's claim does not hold for this model`
        : `no clear difference: ${fmt(s.mean2x1)} (2 × 1) against ${fmt(s.mean1x2)} (1 × 2) img/s (${fmt(s.ratio)} ×, inside ±3 %)`;
  return [
    markdownTable(['workers × intraOpThreads', 'round', 'img/s', 'p50 ms', 'p95 ms', 'p99 ms', 'mean batch', 'batch compute ms', 'CPU % server / main thread / client / other'], table),
    '',
    `Mean over rounds: ${verdict}. In-process ONNX Runtime on the same model: 2 sessions × 1 thread ${fmt(s.rawBatch1_2x1)} img/s at batch 1, ${fmt(s.rawBest2x1)} at its best batch; 1 session × 2 threads ${fmt(s.rawBatch1_1x2)} at batch 1, ${fmt(s.rawBest1x2)} at its best batch.`,
  ].join('\n');
}
