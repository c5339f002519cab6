/**
 * Summarises a V8 CPU profile (.cpuprofile, as `node --cpu-prof` writes it): self time aggregated by
 * function + script URL, the top N, and how much of the thread's time was idle, GC or unattributed.
 *
 *   node --import tsx benchmarks/profile-summary.ts FILE.cpuprofile [--top 15]
 *
 * Start-up (module loading, model loading) is in a whole-process profile too: run.ts passes the
 * measured phase as a time window.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  /** Function name ('(anonymous)' for unnamed ones, which are then told apart by line). */
  readonly functionName: string;
  /** Script URL made relative to the repository (node_modules/…, runtime/…); '(native)' for V8 builtins and C++. */
  readonly url: string;
  /** 1-based line of the first node seen for this key (tsx-compiled .ts files: 1 until mapped, see mapToSource). */
  line: number;
  /** The profile's raw position (0-based, generated code) and full script URL, for source mapping. */
  readonly sourceUrl: string;
  readonly generatedLine: number;
  readonly generatedColumn: number;
  readonly selfMs: number;
  /** % of the profile's wall time. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly wallMs: number;
  /** Time the thread had JavaScript or native work (everything but '(idle)'). */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  /** '(program)': native time V8 cannot attribute to a JavaScript function (e.g. parts of the event loop). */
  readonly programMs: number;
  readonly top: SelfTimeEntry[];
  /** Self time by where the code lives: Node core module family, npm package, clinfer folder, native, GC. */
  readonly groups: { group: string; selfMs: number; pct: number }[];
}

/** The family of a function's script, for the by-group view. */
export function groupOf(functionName: string, url: string): string {
  if (functionName === '(garbage collector)' || functionName === '(program)') return functionName;
  if (url === '(native)') return 'native (V8 builtins, C++ bindings: writev, postMessage, …)';
  if (url.startsWith('node:')) {
    const m = url.slice(5);
    if (/http/.test(m)) return 'Node core: http';
    if (/stream/.test(m)) return 'Node core: streams';
    if (/^events|event_target/.test(m)) return 'Node core: events';
    if (/buffer/.test(m)) return 'Node core: buffer';
    if (/net|tcp|dns|socket/.test(m)) return 'Node core: net';
    if (/timers|task_queues|process/.test(m)) return 'Node core: timers, ticks';
    if (/worker|messag/.test(m)) return 'Node core: worker threads, messaging';
    return 'Node core: other';
  }
  const nm = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm: ${nm[1]}`;
  // dist/runtime/… is the compiled runtime the bench serves: grouped with its sources.
  const own = /^(?:dist\/)?(runtime|adapters|benchmarks)\/([^/]+)/.exec(url);
  if (own) return `clinfer: ${own[1]}/${own[2]}${own[2]!.includes('.') ? '' : '/'}`;
  return url || 'other';
}

const SPECIAL = new Set(['(root)', '(idle)', '(program)', '(garbage collector)']);

function shortUrl(url: string, root: string | undefined): string {
  if (url === '') return '(native)';
  let u = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (root && u.startsWith(root)) u = u.slice(root.length);
  const nm = u.lastIndexOf('node_modules/');
  return nm >= 0 ? u.slice(nm) : u;
}

/**
 * Self time per sample is the interval until the next sample (as Chrome DevTools counts it); entries
 * are aggregated by function name + URL (+ line for anonymous functions), summed over every node.
 * `window` (µs on the profile's clock, which is CLOCK_MONOTONIC: process.hrtime in any process of the
 * machine) keeps only the samples taken inside it, e.g. the measured phase without start-up.
 */
export function summarizeProfile(profile: CpuProfile, top = 15, root?: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const n = profile.samples.length;
  let t = profile.startTime;
  const stamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i] ?? 0;
    stamps[i] = t;
  }
  const from = window ? Math.max(window.fromUs, profile.startTime) : profile.startTime;
  const to = window ? Math.min(window.toUs, profile.endTime) : profile.endTime;
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? stamps[i + 1]! : profile.endTime;
    const dt = Math.max(0, Math.min(next, to) - Math.max(stamps[i]!, from));
    if (dt === 0) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const wallMs = Math.max(0, to - from) / 1000;
  let idleMs = 0;
  let gcMs = 0;
  let programMs = 0;
  const agg = new Map<string, { -readonly [K in keyof Omit<SelfTimeEntry, 'pct'>]: SelfTimeEntry[K] }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const ms = us / 1000;
    if (functionName === '(idle)') idleMs += ms;
    else if (functionName === '(garbage collector)') gcMs += ms;
    else if (functionName === '(program)') programMs += ms;
    const name = functionName || '(anonymous)';
    // Anonymous functions are told apart by position (tsx puts a whole file on one line: column too).
    const key = functionName ? `${name}\0${url}` : `${name}\0${url}\0${lineNumber}:${columnNumber}`;
    const entry = agg.get(key) ?? {
      functionName: name, url: SPECIAL.has(name) ? '' : shortUrl(url, root), line: lineNumber + 1, selfMs: 0,
      sourceUrl: url, generatedLine: lineNumber, generatedColumn: columnNumber,
    };
    entry.selfMs += ms;
    agg.set(key, entry);
  }
  const groups = new Map<string, number>();
  for (const e of agg.values()) {
    if (e.functionName === '(idle)' || e.functionName === '(root)') continue;
    const g = groupOf(e.functionName, e.url);
    groups.set(g, (groups.get(g) ?? 0) + e.selfMs);
  }
  const entries = [...agg.values()]
    .filter((e) => e.functionName !== '(idle)' && e.functionName !== '(root)')
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top)
    .map((e) => ({ ...e, pct: (e.selfMs / wallMs) * 100 }));
  return {
    wallMs, busyMs: wallMs - idleMs, idleMs, gcMs, programMs, top: entries,
    groups: [...groups].map(([group, selfMs]) => ({ group, selfMs, pct: (selfMs / wallMs) * 100 })).sort((a, b) => b.selfMs - a.selfMs),
  };
}

/**
 * Replaces the line of entries from tsx-compiled TypeScript files by the line in the source, with
 * benchmarks/source-positions.ts in a child process (same loader, --enable-source-maps). Best effort.
 */
export function mapToSource(entries: SelfTimeEntry[], tsxUrl: string): void {
  const wanted = entries.filter((e) => e.sourceUrl.startsWith('file://') && e.sourceUrl.endsWith('.ts'));
  if (wanted.length === 0) return;
  try {
    const helper = fileURLToPath(new URL('./source-positions.ts', import.meta.url));
    const arg = JSON.stringify(wanted.map((e) => ({ url: e.sourceUrl, line: e.generatedLine, column: e.generatedColumn })));
    const out = execFileSync(process.execPath, ['--enable-source-maps', '--import', tsxUrl, helper, arg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
    const lines = JSON.parse(out) as (number | null)[];
    wanted.forEach((e, i) => {
      const line = lines[i];
      if (typeof line === 'number') e.line = line;
    });
  } catch {
    // Lines stay as the profile has them.
  }
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [
    `wall ${s.wallMs.toFixed(0)} ms · busy ${((s.busyMs / s.wallMs) * 100).toFixed(1)} % · idle ${((s.idleMs / s.wallMs) * 100).toFixed(1)} % · GC ${((s.gcMs / s.wallMs) * 100).toFixed(1)} % · (program) ${((s.programMs / s.wallMs) * 100).toFixed(1)} %`,
    '',
    '| # | self ms | % of wall | function | script |',
    '| ---: | ---: | ---: | --- | --- |',
    ...s.top.map((e, i) => `| ${i + 1} | ${e.selfMs.toFixed(0)} | ${e.pct.toFixed(1)} | \`${e.functionName}\` | ${e.url ? `${e.url}${e.url === '(native)' ? '' : `:${e.line}`}` : ''} |`),
    '',
    `By group (busy ${s.busyMs.toFixed(0)} ms): ` + s.groups.filter((g) => g.pct >= 0.5).map((g) => `${g.group} ${g.pct.toFixed(1)} %`).join(' · '),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
  if (positionals.length === 0) {
    console.error('usage: node --import tsx benchmarks/profile-summary.ts FILE.cpuprofile… [--top 15]  (whole profile; run.ts restricts it to the measured phase)');
    process.exit(2);
  }
  const root = new URL('../', import.meta.url).pathname;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  for (const file of positionals) {
    console.log(`## ${file}\n`);
    const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(values.top), root);
    mapToSource(summary.top, tsx);
    console.log(formatSummary(summary), '\n');
  }
}
