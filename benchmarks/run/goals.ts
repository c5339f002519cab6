/**
 * Issue 16's table, row by row: each goal is one pure function of a run's results, so the same function
 * gives "now" (this run) and "before" (the baseline file). Figures a baseline file cannot hold (parts
 * that did not exist when it was written) come from BEFORE_NOTES, each naming its source.
 * Goals are reported, never asserted. A missed goal names the load to profile clinfer under.
 */
import { availableParallelism } from 'node:os';
import { fmt } from '../stats.js';
import { IMAGE_MODELS, MNIST, PPOCR, XRAY, type TensorModel } from './models.js';
import { AUDIT_GOAL } from './part-e-audit.js';
import { startupText } from './part-f-startup.js';
import type { BenchResults, HttpRow } from './results.js';

export interface ProfileLoad {
  readonly model: TensorModel;
  readonly format: 'json' | 'binary';
  readonly concurrency: number;
  readonly part: 'A' | 'D';
}

export interface Figure {
  /** The number compared with the goal (absent: not measured). */
  readonly value?: number;
  readonly text: string;
}

export interface GoalDefinition {
  readonly id: string;
  readonly measure: string;
  /** Human form of the goal; undefined: watched, no goal. */
  readonly goal?: string;
  readonly met?: (value: number) => boolean;
  readonly evaluate: (r: BenchResults) => Figure & { detail?: string };
  readonly profile?: (r: BenchResults) => ProfileLoad | undefined;
  /** Missed goals of one family share one profile. */
  readonly family?: string;
}

export interface GoalResult {
  readonly id: string;
  readonly measure: string;
  readonly goal: string;
  readonly before: Figure;
  readonly now: Figure;
  /** undefined: not measured, or no goal. */
  readonly met: boolean | undefined;
  readonly detail?: string;
  readonly profile?: ProfileLoad;
  readonly family?: string;
}

const NOT = (why = 'not measured'): Figure => ({ text: why });
const ms = (v: number) => `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v))} ms`;
const us = (v: number | undefined) => (v === undefined ? '–' : `${fmt(v * 1000)} µs`);

function ratioGoal(r: BenchResults, model: TensorModel, part: 'A' | 'D', c: number, over: 'limit' | 'naive', batching: 'on' | 'off'): Figure & { detail?: string } {
  const bin = r.findRow(part, model.name, 'clinfer-binary', c, batching);
  const json = r.findRow(part, model.name, 'clinfer-json', c, batching);
  if (over === 'limit') {
    const best = r.limitBest(model.name);
    if (!bin || !best) return NOT();
    const cpu = cpuText('in-process', (best.cpuPct * 10) / best.itemsPerSec, bin.serverCpuMsPerItem);
    return { value: bin.itemsPerSec / best.itemsPerSec, text: `${fmt(bin.itemsPerSec / best.itemsPerSec)} (${fmt(bin.itemsPerSec)} ÷ ${fmt(best.itemsPerSec)} img/s, batch ${best.batch}${cpu})`, detail: limitDetail(r, bin, best.itemsPerSec, best.cpuPct) };
  }
  const naive = r.findRow(part, model.name, 'naive-express', c);
  if (!bin || !naive) return NOT();
  const v = bin.itemsPerSec / naive.itemsPerSec;
  const cpu = cpuText('naive', naive.serverCpuMsPerItem, bin.serverCpuMsPerItem);
  return { value: v, text: `${fmt(v)} × (${fmt(bin.itemsPerSec)} ÷ ${fmt(naive.itemsPerSec)} req/s${json ? `; JSON ${fmt(json.itemsPerSec / naive.itemsPerSec)} ×` : ''}${cpu})` };
}

/**
 * Server CPU per request of the other system ÷ clinfer's: what the throughput ratio would be if both were
 * CPU-bound on the same cores. It moves much less than req/s when other work shares the machine.
 */
function cpuText(other: string, otherMs: number | undefined, clinferMs: number | undefined): string {
  if (otherMs === undefined || clinferMs === undefined || !(clinferMs > 0)) return '';
  return `; server CPU per request ${other} ${fmt(otherMs)} ms ÷ clinfer ${fmt(clinferMs)} ms = ${fmt(otherMs / clinferMs)}`;
}

/** Where the CPU went, and what an ideal server sharing these cores with this client could reach. */
function limitDetail(r: BenchResults, bin: HttpRow, bestPerSec: number, bestCpuPct: number): string | undefined {
  const cores = availableParallelism() * 100;
  const floor = r.findRow('A', PPOCR.name, 'http-floor', 32);
  if (bin.clientCpuPct === undefined || bin.serverMainThreadCpuPct === undefined) return undefined;
  const left = (cores - bin.clientCpuPct - bin.serverMainThreadCpuPct - (bin.otherCpuPct ?? 0)) / cores;
  const bestCpuMs = (bestCpuPct * 10) / bestPerSec;
  const clientMs = (bin.clientCpuPct * 10) / bin.itemsPerSec;
  const ideal = floor?.serverCpuMsPerItem !== undefined ? (cores * 10) / (floor.serverCpuMsPerItem + bestCpuMs + clientMs) : undefined;
  return `the load generator (${fmt(bin.clientCpuPct)} %), clinfer's main thread (${fmt(bin.serverMainThreadCpuPct)} %) and other processes (${fmt(bin.otherCpuPct)} %) left ${fmt(Math.max(0, left) * 100)} % of the ${cores} % for ONNX Runtime` +
    (ideal !== undefined ? `; a server costing only the HTTP floor's CPU per request (${fmt(floor!.serverCpuMsPerItem)} ms) plus in-process ONNX Runtime's (${fmt(bestCpuMs)} ms), loaded by this client (${fmt(clientMs)} ms per request), would top out near ${fmt(ideal)} img/s = ${fmt((ideal / bestPerSec) * 100)} % of the limit on these ${cores / 100} cores` : '');
}

function c1Added(r: BenchResults): Figure & { detail?: string } {
  const parts: string[] = [];
  let worst: number | undefined;
  for (const m of IMAGE_MODELS) {
    const inproc = r.latencyOf(m.name);
    const bin = r.findRow('A', m.name, 'clinfer-binary', 1, 'on');
    if (!inproc || bin?.p50Ms === undefined) continue;
    const plus = (row: HttpRow | undefined) => (row?.p50Ms !== undefined ? ms(row.p50Ms - inproc.p50Ms) : '–');
    const excess = bin.p50Ms - inproc.p50Ms;
    parts.push(`${m.name} ${ms(excess)} (naive ${plus(r.findRow('A', m.name, 'naive-express', 1))}; JSON ${plus(r.findRow('A', m.name, 'clinfer-json', 1, 'on'))}; HTTP floor ${plus(r.findRow('A', m.name, 'http-floor', 1))}; thread floor ${plus(r.findRow('A', m.name, 'thread-floor', 1))})`);
    worst = worst === undefined ? excess : Math.max(worst, excess);
  }
  return worst === undefined ? NOT() : { value: worst, text: parts.join('; ') };
}

function c1Profile(r: BenchResults): ProfileLoad | undefined {
  let worst: { excess: number; model: TensorModel } | undefined;
  for (const m of IMAGE_MODELS) {
    const inproc = r.latencyOf(m.name);
    const bin = r.findRow('A', m.name, 'clinfer-binary', 1, 'on');
    if (!inproc || bin?.p50Ms === undefined) continue;
    const excess = bin.p50Ms - inproc.p50Ms;
    if (!worst || excess > worst.excess) worst = { excess, model: m };
  }
  return worst ? { model: worst.model, format: 'binary', concurrency: 1, part: 'A' } : undefined;
}

function mainThreadCpu(r: BenchResults, model: TensorModel, part: 'A' | 'D', c: number, batching: 'on' | 'off'): Figure {
  const bin = r.findRow(part, model.name, 'clinfer-binary', c, batching);
  if (bin?.mainThreadMsPerRequest === undefined) return NOT();
  const naive = r.findRow(part, model.name, 'naive-express', c);
  const floor = r.findRow(part, model.name, 'http-floor', c);
  return { value: bin.mainThreadMsPerRequest * 1000, text: `clinfer ${us(bin.mainThreadMsPerRequest)} · naive ${us(naive?.mainThreadMsPerRequest)} · HTTP floor ${us(floor?.mainThreadMsPerRequest)}` };
}

export const GOALS: readonly GoalDefinition[] = [
  {
    id: 'G1', measure: 'PaddleOCR classifier, binary OIP, 32 clients: clinfer ÷ in-process best-batch limit', goal: '≥ 0.8', met: (v) => v >= 0.8,
    evaluate: (r) => ratioGoal(r, PPOCR, 'A', 32, 'limit', 'on'), profile: () => ({ model: PPOCR, format: 'binary', concurrency: 32, part: 'A' }), family: 'ppocr-32',
  },
  {
    id: 'G2', measure: 'same, clinfer ÷ naive express + ORT server', goal: '≥ 2 ×', met: (v) => v >= 2,
    evaluate: (r) => ratioGoal(r, PPOCR, 'A', 32, 'naive', 'on'), profile: () => ({ model: PPOCR, format: 'binary', concurrency: 32, part: 'A' }), family: 'ppocr-32',
  },
  {
    id: 'G3', measure: 'tiny MNIST model, 64 clients: clinfer (binary) ÷ naive', goal: '≥ 1.5 ×', met: (v) => v >= 1.5,
    evaluate: (r) => ratioGoal(r, MNIST, 'D', 64, 'naive', 'off'), profile: () => ({ model: MNIST, format: 'binary', concurrency: 64, part: 'D' }), family: 'mnist-64',
  },
  {
    id: 'G4', measure: 'concurrency 1: p50 added over in-process session.run (binary; worst of X-ray and PaddleOCR)', goal: '≤ +0.3 ms', met: (v) => v <= 0.3,
    evaluate: c1Added, profile: c1Profile, family: 'c1',
  },
  {
    id: 'G5', measure: 'web app cold load, bytes to the first result (Chromium)', goal: '≤ 5 MB', met: (v) => v <= 5e6,
    evaluate: (r) => (r.browser ? { value: r.browser.coldBytes, text: `${fmt(r.browser.coldBytes / 1e6)} MB (${Object.entries(r.browser.byEncoding).map(([e, n]) => `${e} ${fmt(n / 1e6)}`).join(', ')})` } : NOT()),
  },
  {
    id: 'G6', measure: 'main-thread CPU per request, PaddleOCR binary, 32 clients', evaluate: (r) => mainThreadCpu(r, PPOCR, 'A', 32, 'on'),
  },
  {
    id: 'G7', measure: 'main-thread CPU per request, MNIST binary, 64 clients', evaluate: (r) => mainThreadCpu(r, MNIST, 'D', 64, 'off'),
  },
  {
    id: 'G8', measure: 'clinfer_event_loop_lag_seconds under the 32-client PaddleOCR row (/metrics histogram: bucket bounds)',
    evaluate: (r) => {
      const lag = r.findRow('A', PPOCR.name, 'clinfer-binary', 32, 'on')?.eventLoopLag;
      return lag ? { value: lag.p99Ms, text: `p99 ≤ ${fmt(lag.p99Ms)} ms, max ≤ ${fmt(lag.maxMs)} ms, mean ${fmt(lag.meanMs)} ms (${lag.samples} samples of a 20 ms timer)` } : NOT();
    },
  },
  {
    id: 'G9', measure: 'audit log on ÷ off, requests per second (benchmarks/audit-http.ts)', goal: `≥ ${AUDIT_GOAL}`, met: (v) => v >= AUDIT_GOAL,
    evaluate: (r) => (r.audit ? { value: r.audit.on_over_off, text: `${fmt(r.audit.on_over_off)} (${r.audit.on_median_rps} ÷ ${r.audit.off_median_rps} req/s, ${r.audit.clients} clients, ${r.audit.rounds} round(s) of ${r.audit.seconds_per_round} s after ${r.audit.warm_seconds} s warm-up, ${r.audit.served_from === 'dist' ? 'compiled' : 'from source'})` } : NOT()),
  },
  {
    id: 'G10', measure: 'start to READY and RSS with the demo bundles, compiled against tsx',
    evaluate: (r) => (r.startup ? { text: startupText(r.startup) } : NOT(`not measured: ${r.skipped.find((s) => s.part === 'F')?.why ?? 'part F not run'}`)),
  },
  {
    id: 'G11', measure: 'imaging decode + preprocess per transfer syntax (512×512 CT slice)',
    evaluate: (r) => (r.imaging ? { text: imagingText(r.imaging.figures) } : NOT(`not measured: ${r.skipped.find((s) => s.part === 'G')?.why ?? 'part G not run'}`)),
  },
];

/** One line from imaging.json's rows: median wall ms (and CPU ms, where recorded) per transfer syntax, with the file's date. */
export function imagingText(figures: unknown): string {
  const f = figures as { date?: string; rows?: { name: string; medianMs: number; cpuMs?: number }[] };
  if (!Array.isArray(f.rows)) return 'see benchmarks/results/imaging.json';
  return `${f.rows.map((row) => `${row.name} ${fmt(row.medianMs)} ms${row.cpuMs !== undefined ? ` (CPU ${fmt(row.cpuMs)})` : ''}`).join('; ')}${f.date ? ` (imaging.json of ${f.date.slice(0, 10)}, not measured by this run)` : ''}`;
}

/** Figures the baseline file cannot hold: parts added after it was written. */
export const BEFORE_NOTES: Readonly<Record<string, string>> = {
  G3: '1.0–1.3 × (issue 16; no MNIST part then)',
  G5: '16.25 MB, all identity (docs/web-app.md, before precompression)',
  G7: 'not measured (no MNIST part then)',
  G8: 'not measured (no lag scrape then)',
  G9: '0.77 (audit-http.ts, commit 998dfcd, 2026-12-04)',
  G10: 'not measured',
};

export function evaluateGoals(now: BenchResults, before: BenchResults | undefined, beforeImaging: unknown): GoalResult[] {
  return GOALS.map((g) => {
    const n = g.evaluate(now);
    let b: Figure = before ? g.evaluate(before) : NOT('no baseline file');
    if (g.id === 'G11' && beforeImaging) b = { text: imagingText(beforeImaging).replace(', not measured by this run', '') };
    if (b.value === undefined && BEFORE_NOTES[g.id]) b = { text: BEFORE_NOTES[g.id]! };
    const met = g.met && n.value !== undefined ? g.met(n.value) : undefined;
    const profile = met === false ? g.profile?.(now) : undefined;
    return {
      id: g.id, measure: g.measure, goal: g.goal ?? 'watched', before: { ...(b.value !== undefined ? { value: b.value } : {}), text: b.text }, now: { ...(n.value !== undefined ? { value: n.value } : {}), text: n.text }, met,
      ...(n.detail ? { detail: n.detail } : {}), ...(profile ? { profile } : {}), ...(g.family ? { family: g.family } : {}),
    };
  });
}

/** The X-ray scheduler targets of part A (not in issue 16's table): batching pays, and clinfer beats naive. */
export function xrayTargets(now: BenchResults, before: BenchResults | undefined, concurrency: readonly number[]): GoalResult[] {
  const out: GoalResult[] = [];
  for (const [id, measure, other] of [
    ['X1', 'chest X-ray: batching on ÷ off > 1 at every C > 1, JSON and binary', 'off'],
    ['X2', 'chest X-ray: clinfer ÷ naive > 1 at every C > 1, JSON and binary', 'naive'],
  ] as const) {
    const n = xrayFigure(now, other, concurrency);
    const b = before ? xrayFigure(before, other, concurrency) : undefined;
    out.push({
      id, measure, goal: '> 1 everywhere', before: b?.figure ?? NOT('no baseline file'), now: n.figure, met: n.met,
      ...(n.met === false && n.worst ? { profile: { model: XRAY, format: n.worst.format, concurrency: n.worst.c, part: 'A' as const } } : {}), family: 'xray',
    });
  }
  return out;
}

function xrayFigure(r: BenchResults, other: 'off' | 'naive', concurrency: readonly number[]) {
  const pairs: string[] = [];
  let all = true;
  let worst: { ratio: number; format: 'json' | 'binary'; c: number } | undefined;
  for (const c of concurrency.filter((x) => x > 1)) {
    for (const format of ['json', 'binary'] as const) {
      const on = r.findRow('A', XRAY.name, `clinfer-${format}`, c, 'on');
      const base = other === 'off' ? r.findRow('A', XRAY.name, `clinfer-${format}`, c, 'off') : r.findRow('A', XRAY.name, 'naive-express', c);
      if (!on || !base) { all = false; continue; }
      const ratio = on.itemsPerSec / base.itemsPerSec;
      pairs.push(`C=${c} ${format} ${fmt(ratio)}`);
      if (!(ratio > 1)) all = false;
      if (!worst || ratio < worst.ratio) worst = { ratio, format, c };
    }
  }
  const figure: Figure = pairs.length && worst ? { value: worst.ratio, text: pairs.join('; ') } : NOT();
  return { figure, met: pairs.length ? all : undefined, worst };
}
