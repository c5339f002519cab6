/**
 * Soak: clinfer under steady load for a long time, sampled every few seconds, to see whether memory
 * levels off and throughput and latency hold.
 *
 *   node --import tsx benchmarks/soak.ts --minutes 30      # the default length
 *   node --import tsx benchmarks/soak.ts --minutes 0.5     # CI size
 *   node --import tsx benchmarks/soak.ts --help
 *
 * The server runs in its own process (clinfer-child.mjs from the sources: `startServer`, 2 workers, gRPC off, the demo
 * models of models/); the load comes from one load-generator process (loadgen.ts), three closed-loop
 * streams at once: heart-disease-risk /v2 infer JSON, chest-xray-pneumonia /v2 infer binary, and
 * heart-disease-risk /v1 predict with one JSON record (the EHR path). Each sample is one window of
 * `--window` seconds: every stream runs a job of that length (new keep-alive connections each window,
 * every answer checked), then the server's RSS (/proc/<pid>/status VmRSS, which counts its worker
 * threads and ONNX Runtime's native memory) and /metrics are read.
 *
 * Verdict on memory: least-squares RSS slope (MiB per minute) over the first and the second half of the
 * run; RSS "levels off" when the second-half slope is under --rss-slope (default 1 MiB/min, 60 MiB/hour).
 * Writes results/soak.json (every sample) and results/soak.svg; prints a markdown table to stdout and
 * progress to stderr. Exits 1 if any request failed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { FromLoadgen, FromServer, LoadGo, LoadJob, ResponseCheck, ServerSpec, ToServer } from './protocol.js';
import { fmt, machineCpu, markdownTable, parsePrometheus, processCpu, summarize } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const RESULTS = join(ROOT, 'benchmarks/results');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    window: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    workers: { type: 'string', default: '2' },
    'rss-slope': { type: 'string', default: '1' },
    out: { type: 'string', default: RESULTS },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(`node --import tsx benchmarks/soak.ts [options]
  --minutes N        length of the run (default 30; 0.5 for CI)
  --window S         seconds per sample (default 5)
  --concurrency C    closed-loop clients in all, split 3:3:2 over the three streams (default 8)
  --workers W        clinfer worker threads (default 2)
  --rss-slope M      RSS "levels off" when its second-half slope is under M MiB/min (default 1)
  --out DIR          where soak.json and soak.svg go (default benchmarks/results)
`);
  process.exit(0);
}

const MINUTES = positive('minutes');
const WINDOW_S = positive('window');
const CONCURRENCY = Math.max(3, Math.round(positive('concurrency')));
const WORKERS = Math.round(positive('workers'));
const RSS_SLOPE = positive('rss-slope');

function positive(name: keyof typeof args): number {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`--${name} must be a positive number, got '${args[name]}'\n`);
    process.exit(2);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// The three streams

interface Stream {
  readonly name: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly check: ResponseCheck;
  readonly concurrency: number;
}

const HEART_ROW = [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6];
const XRAY_IMAGE = Float32Array.from({ length: 784 }, (_, i) => (((i * 37) % 255) / 255 - 0.5) / 0.5);
const xrayHeader = Buffer.from(JSON.stringify({
  inputs: [{ name: 'image', shape: [1, 1, 28, 28], datatype: 'FP32', parameters: { binary_data_size: XRAY_IMAGE.byteLength } }],
  outputs: [{ name: 'logits', parameters: { binary_data: true } }],
}));
const share = (part: number) => Math.max(1, Math.round((CONCURRENCY * part) / 8));

const STREAMS: Stream[] = [
  {
    name: 'heart /v2 infer JSON', path: '/v2/models/heart-disease-risk/infer', headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: HEART_ROW }] })),
    check: { format: 'json', output: 'probability', elements: 1 }, concurrency: share(3),
  },
  {
    name: 'x-ray /v2 infer binary', path: '/v2/models/chest-xray-pneumonia/infer',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(xrayHeader.byteLength) },
    body: Buffer.concat([xrayHeader, Buffer.from(XRAY_IMAGE.buffer)]),
    check: { format: 'binary', output: 'logits', elements: 2 }, concurrency: share(3),
  },
  {
    name: 'heart /v1 predict record', path: '/v1/models/heart-disease-risk/predict', headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ records: [{ age: 63, sex: 1, cp: 1, trestbps: 145, chol: 233, fbs: 1, restecg: 2, thalach: 150, exang: 0, oldpeak: 2.3, slope: 3, ca: 0, thal: 6 }] })),
    check: { format: 'predict', predictions: 1 }, concurrency: share(2),
  },
];

// ---------------------------------------------------------------------------------------------
// Child processes (the same protocol as benchmarks/run.ts)

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(new URL('./clinfer-child.mjs', import.meta.url)), [], { execArgv: ['--import', TSX], env: { ...process.env, CLINFER_BENCH_FROM_SOURCE: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const spec: ServerSpec = {
    kind: 'clinfer',
    config: { models: join(ROOT, 'models'), host: '127.0.0.1', port: 0, grpcPort: -1, workers: WORKERS, logLevel: 'warn' },
    readyModels: ['heart-disease-risk', 'chest-xray-pneumonia'],
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error('clinfer not ready within 120 s')); }, 120_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`clinfer exited (${code}) before it was ready`)); });
    child.on('message', (msg: FromServer) => {
      if (msg.type === 'error') { clearTimeout(timer); reject(new Error(msg.message)); }
      if (msg.type === 'ready') { clearTimeout(timer); resolve({ child, url: msg.url }); }
    });
    child.send({ type: 'start', spec } satisfies ToServer);
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  if (child.connected) child.send({ type: 'stop' } satisfies ToServer);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

class Loadgen {
  readonly #child = fork(fileURLToPath(new URL('./loadgen.ts', import.meta.url)), [], { execArgv: ['--import', TSX], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  #nextId = 0;

  /** One measured job of `seconds`, no warm-up (the previous window warmed it). */
  run(url: string, stream: Stream, seconds: number) {
    const id = this.#nextId++;
    const job: LoadJob = {
      type: 'run', id, url: url + stream.path, headers: stream.headers, body: stream.body, concurrency: stream.concurrency,
      warmupSeconds: 0, seconds, requestTimeoutMs: 30_000, check: stream.check, client: 'http',
    };
    return new Promise<Extract<FromLoadgen, { type: 'result' }>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      const onMessage = (msg: FromLoadgen) => {
        if (msg.id !== id) return;
        if (msg.type === 'warm') {
          this.#child.send({ type: 'go', id } satisfies LoadGo);
          return;
        }
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        if (msg.type === 'result') resolve(msg);
        else reject(new Error(`${stream.name}: ${msg.message}`));
      };
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send(job);
    });
  }

  close(): void {
    if (this.#child.connected) this.#child.disconnect();
    if (this.#child.exitCode === null) this.#child.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling

interface StreamSample {
  readonly name: string;
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly firstError: string | undefined;
}

interface Sample {
  /** Seconds since the load started, at the end of the window. */
  readonly t: number;
  readonly windowSeconds: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly streams: StreamSample[];
  /** Server process, /proc/<pid>/status (all threads, native memory included). */
  readonly rssMiB: number | undefined;
  readonly rssPeakMiB: number | undefined;
  /** From /metrics: process_resident_memory_bytes and the main thread's V8 heap. */
  readonly metricsRssMiB: number | undefined;
  readonly heapUsedMiB: number | undefined;
  readonly serverCpuPct: number | undefined;
  /** CPU used on the machine by everything except the server (load generator included), % of a core. */
  readonly otherCpuPct: number | undefined;
}

const MiB = 1024 * 1024;

function procStatus(pid: number | undefined): { rssMiB: number; peakMiB: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

async function scrape(url: string): Promise<Map<string, number> | undefined> {
  try {
    return parsePrometheus(await (await fetch(`${url}/metrics`)).text());
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x (per unit of x); NaN under 2 points. */
function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den > 0 ? num / den : NaN;
}

// ---------------------------------------------------------------------------------------------
// Chart: three time-series panels, linear axes, drawn by hand like chart.ts

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Line { readonly name: string; readonly color: string; readonly points: readonly { x: number; y: number }[] }

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const e = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * e).find((c) => c >= v)!;
}

function panel(title: string, yLabel: string, lines: Line[], xMax: number, oy: number, W: number, H: number, yMin0 = true): string {
  const M = { left: 64, right: 170, top: 28, bottom: 34 };
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const ys = lines.flatMap((l) => l.points.map((p) => p.y)).filter(Number.isFinite);
  const yHi = niceMax(Math.max(...ys, 0) * 1.05);
  const yLo = yMin0 ? 0 : Math.max(0, Math.floor((Math.min(...ys) * 0.95) / (yHi / 10)) * (yHi / 10));
  const sx = (x: number) => M.left + (x / xMax) * pw;
  const sy = (y: number) => M.top + ph - ((y - yLo) / (yHi - yLo || 1)) * ph;
  const out = [`<g transform="translate(0,${oy})">`, `<text x="${M.left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`];
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fff" stroke="#888"/>`);
  for (let i = 0; i <= 5; i++) {
    const y = yLo + ((yHi - yLo) * i) / 5;
    out.push(`<line x1="${M.left}" y1="${sy(y).toFixed(1)}" x2="${M.left + pw}" y2="${sy(y).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 4}" y="${(sy(y) + 3).toFixed(1)}" text-anchor="end" font-size="10">${fmt(y)}</text>`);
  }
  const xStep = niceMax(xMax / 6);
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(`<line x1="${sx(x).toFixed(1)}" y1="${M.top}" x2="${sx(x).toFixed(1)}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${sx(x).toFixed(1)}" y="${M.top + ph + 14}" text-anchor="middle" font-size="10">${fmt(x)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle" font-size="11">minutes</text>`);
  out.push(`<text transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(yLabel)}</text>`);
  lines.forEach((l, i) => {
    const pts = l.points.filter((p) => Number.isFinite(p.y));
    if (pts.length > 0) out.push(`<polyline fill="none" stroke="${l.color}" stroke-width="1.6" points="${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<line x1="${M.left + pw + 10}" y1="${M.top + 10 + i * 16}" x2="${M.left + pw + 30}" y2="${M.top + 10 + i * 16}" stroke="${l.color}" stroke-width="2"/>`);
    out.push(`<text x="${M.left + pw + 34}" y="${M.top + 14 + i * 16}" font-size="11">${esc(l.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

function soakSvg(title: string, subtitles: string[], samples: Sample[], minutes: number): string {
  const W = 900;
  const H = 230;
  const x = (s: Sample) => s.t / 60;
  const xMax = Math.max(minutes, ...samples.map(x));
  const top = 30 + 16 * subtitles.length;
  const height = top + 3 * H;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="${W}" height="${height}" fill="#fafafa"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...subtitles.map((line, i) => `<text x="${W / 2}" y="${38 + 16 * i}" text-anchor="middle" font-size="11" fill="#444">${esc(line)}</text>`),
    panel('Throughput', 'requests/s', [{ name: 'all streams', color: '#1f77b4', points: samples.map((s) => ({ x: x(s), y: s.reqPerSec })) }], xMax, top, W, H),
    panel('Latency (all streams)', 'ms', [
      { name: 'p50', color: '#2ca02c', points: samples.map((s) => ({ x: x(s), y: s.p50Ms })) },
      { name: 'p99', color: '#d62728', points: samples.map((s) => ({ x: x(s), y: s.p99Ms })) },
    ], xMax, top + H, W, H),
    panel('Server memory', 'MiB', [
      { name: 'RSS (/proc)', color: '#9467bd', points: samples.map((s) => ({ x: x(s), y: s.rssMiB ?? NaN })) },
      { name: 'main-thread heap used', color: '#8c564b', points: samples.map((s) => ({ x: x(s), y: s.heapUsedMiB ?? NaN })) },
    ], xMax, top + 2 * H, W, H),
    '</svg>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<number> {
  const started = new Date();
  process.stderr.write(`soak: ${MINUTES} min, ${WINDOW_S} s windows, ${STREAMS.map((s) => `${s.name} C=${s.concurrency}`).join(', ')}; clinfer ${WORKERS} workers\n`);
  const server = await startServer();
  const loadgen = new Loadgen();
  const samples: Sample[] = [];
  let failed = 0;
  try {
    const pid = server.child.pid;
    const t0 = performance.now();
    const endAt = t0 + MINUTES * 60_000;
    let cpu0 = processCpu(pid);
    let machine0 = machineCpu();
    let wall0 = performance.now();
    // The last window may be shorter; under a second left is not worth a sample.
    while (endAt - performance.now() >= Math.min(1000, WINDOW_S * 1000)) {
      const seconds = Math.min(WINDOW_S, (endAt - performance.now()) / 1000);
      const results = await Promise.all(STREAMS.map((s) => loadgen.run(server.url, s, seconds).catch((e: unknown) => e as Error)));
      const [status, metrics] = [procStatus(pid), await scrape(server.url)];
      const cpu1 = processCpu(pid);
      const machine1 = machineCpu();
      const wall1 = performance.now();
      const wallMs = wall1 - wall0;
      const serverMs = cpu0 && cpu1 ? cpu1.processMs - cpu0.processMs : undefined;
      const streams: StreamSample[] = results.map((r, i) => {
        if (r instanceof Error) return { name: STREAMS[i]!.name, requests: 0, reqPerSec: 0, p50Ms: NaN, p99Ms: NaN, errors: 1, firstError: r.message };
        const l = summarize(r.latenciesMs);
        return { name: STREAMS[i]!.name, requests: r.latenciesMs.length, reqPerSec: r.latenciesMs.length / (r.wallMs / 1000), p50Ms: l.p50Ms, p99Ms: l.p99Ms, errors: r.errors, firstError: r.firstError };
      });
      const all = new Float64Array(results.flatMap((r) => (r instanceof Error ? [] : [...r.latenciesMs])));
      const l = summarize(all);
      const errors = streams.reduce((n, s) => n + s.errors, 0);
      failed += errors;
      const sample: Sample = {
        t: (wall1 - t0) / 1000, windowSeconds: seconds,
        reqPerSec: streams.reduce((n, s) => n + s.reqPerSec, 0), p50Ms: l.p50Ms, p99Ms: l.p99Ms, errors, streams,
        rssMiB: status?.rssMiB, rssPeakMiB: status?.peakMiB,
        metricsRssMiB: metrics?.has('process_resident_memory_bytes|') ? metrics.get('process_resident_memory_bytes|')! / MiB : undefined,
        heapUsedMiB: metrics?.has('nodejs_heap_size_used_bytes|') ? metrics.get('nodejs_heap_size_used_bytes|')! / MiB : undefined,
        serverCpuPct: serverMs !== undefined ? (serverMs / wallMs) * 100 : undefined,
        otherCpuPct: machine0 && machine1 && serverMs !== undefined ? (Math.max(0, machine1.busyMs - machine0.busyMs - serverMs) / wallMs) * 100 : undefined,
      };
      samples.push(sample);
      [cpu0, machine0, wall0] = [cpu1, machine1, wall1];
      process.stderr.write(`  ${fmt(sample.t)} s: ${fmt(sample.reqPerSec)} req/s, p50 ${fmt(sample.p50Ms)} ms, p99 ${fmt(sample.p99Ms)} ms, RSS ${fmt(sample.rssMiB)} MiB${errors ? `, ${errors} errors (${streams.find((s) => s.firstError)?.firstError})` : ''}\n`);
    }
  } finally {
    loadgen.close();
    await stopServer(server.child);
  }

  // Memory verdict: slopes over the two halves of the run.
  const half = (samples.at(-1)?.t ?? 0) / 2;
  const rssPoints = samples.filter((s) => s.rssMiB !== undefined).map((s) => ({ x: s.t / 60, y: s.rssMiB! }));
  const firstHalf = rssPoints.filter((p) => p.x * 60 <= half);
  const secondHalf = rssPoints.filter((p) => p.x * 60 > half);
  const slope1 = slope(firstHalf);
  const slope2 = slope(secondHalf);
  const levelsOff = Number.isFinite(slope2) && slope2 < RSS_SLOPE;
  const heapPoints = samples.filter((s) => s.heapUsedMiB !== undefined).map((s) => ({ x: s.t / 60, y: s.heapUsedMiB! }));
  const heapSlope2 = slope(heapPoints.filter((p) => p.x * 60 > half));
  const requests = samples.reduce((n, s) => n + s.streams.reduce((m, x) => m + x.requests, 0), 0);
  const firstS = samples[0];
  const lastS = samples.at(-1);
  const verdict = !Number.isFinite(slope2) || !Number.isFinite(slope1)
    ? 'too few samples for a verdict on memory'
    : `${MINUTES < 2 ? 'inconclusive, shorter than 2 minutes: ' : ''}RSS ${levelsOff ? 'levels off' : 'is still growing'}: ${fmt(slope1)} MiB/min over the first half, ${fmt(slope2)} MiB/min over the second (threshold ${fmt(RSS_SLOPE)} MiB/min); ${fmt(firstS?.rssMiB)} → ${fmt(lastS?.rssMiB)} MiB, peak ${fmt(Math.max(...samples.map((s) => s.rssPeakMiB ?? 0)))} MiB`;

  const summary = {
    started: started.toISOString(), minutes: MINUTES, windowSeconds: WINDOW_S, workers: WORKERS,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: totalmem() / 1024 ** 3, node: process.version },
    streams: STREAMS.map((s) => ({ name: s.name, path: s.path, concurrency: s.concurrency })),
    requests, errors: failed,
    rss: { firstHalfSlopeMiBPerMin: slope1, secondHalfSlopeMiBPerMin: slope2, thresholdMiBPerMin: RSS_SLOPE, levelsOff, heapSecondHalfSlopeMiBPerMin: heapSlope2 },
    verdict, samples,
  };
  mkdirSync(args.out!, { recursive: true });
  const jsonFile = join(args.out!, 'soak.json');
  const svgFile = join(args.out!, 'soak.svg');
  writeFileSync(jsonFile, JSON.stringify(summary, null, 1) + '\n');
  writeFileSync(svgFile, soakSvg(`clinfer soak, ${fmt(MINUTES)} min`, [
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${STREAMS.map((s) => `${s.name} C=${s.concurrency}`).join(' · ')} · ${WORKERS} workers · ${requests} requests, ${failed} errors`,
    verdict,
  ], samples, MINUTES));

  // The table: every sample, or about 30 evenly spaced ones (and the last) in a long run.
  const every = Math.max(1, Math.ceil(samples.length / 30));
  const shown = samples.filter((_, i) => i % every === 0 || i === samples.length - 1);
  const table = markdownTable(
    ['t (s)', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS MiB', 'heap MiB', 'server CPU %', 'other CPU %'],
    shown.map((s) => [fmt(s.t), fmt(s.reqPerSec), fmt(s.p50Ms), fmt(s.p99Ms), String(s.errors), fmt(s.rssMiB), fmt(s.heapUsedMiB), fmt(s.serverCpuPct), fmt(s.otherCpuPct)]),
    1,
  );
  process.stdout.write([
    `### Soak of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${fmt(MINUTES)} min`,
    '',
    `${requests} requests, ${failed} errors; ${STREAMS.map((s) => `${s.name} C=${s.concurrency}`).join(', ')}; clinfer ${WORKERS} workers, ${WINDOW_S} s windows.`,
    `Throughput ${fmt(firstS?.reqPerSec)} req/s in the first window, ${fmt(lastS?.reqPerSec)} in the last; p99 ${fmt(firstS?.p99Ms)} → ${fmt(lastS?.p99Ms)} ms.`,
    `${verdict}. Main-thread heap slope over the second half: ${fmt(heapSlope2)} MiB/min.`,
    '',
    table,
    '',
    `Written: ${relative(jsonFile)}, ${relative(svgFile)}`,
    '',
  ].join('\n'));
  return failed > 0 ? 1 : 0;
}

const relative = (file: string) => (file.startsWith(ROOT) ? file.slice(ROOT.length) : file);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
