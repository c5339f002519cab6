/**
 * npm run bench [-- --quick] : throughput and latency of clinfer against raw ONNX Runtime (the
 * ceiling) and a naive one-session express server, under the same closed-loop load, on this machine.
 * Prints a markdown report and writes benchmarks/results/latest.json. See benchmarks/README.md.
 *
 * Everything runs on loopback (127.0.0.1) and is bounded in requests and in time.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { parseConfig } from '../runtime/config/load-config.js';
import { startServer, type ClinferServer } from '../runtime/server.js';
import { closedLoop, type LoopResult } from './closed-loop.js';
import { startNaiveServer } from './naive-server.js';
import type { FromLoadgen, LoadGo, LoadJob, ResponseCheck } from './protocol.js';
import type { RawWorkerData, RawWorkerReply } from './raw-worker.js';
import { clinferCounters, counterDelta, fmt, machineCpu, markdownTable, parsePrometheus, summarize, type LatencySummary, type MachineCpu } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

// ---------------------------------------------------------------------------------------------
// Options

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    models: { type: 'string' },
    concurrency: { type: 'string' },
    requests: { type: 'string' },
    'heavy-requests': { type: 'string' },
    workers: { type: 'string', default: '2' },
    instances: { type: 'string' },
    'autofill-max-batch-size': { type: 'string' },
    client: { type: 'string', default: 'http' },
    out: { type: 'string', default: join(ROOT, 'benchmarks/results/latest.json') },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  console.log(`usage: npm run bench -- [options]
  --quick                 about one minute instead of about two
  --models a,b            chest-xray-pneumonia, heart-disease-risk, super-resolution (default: all)
  --concurrency 1,16,64   closed-loop clients (default 1,16,64; super-resolution: 1,16)
  --requests N            measured requests per configuration, small models (default 2000, quick 500)
  --heavy-requests N      measured requests per configuration, super-resolution (default 48, quick 12)
  --workers N             clinfer workers, and raw ONNX Runtime sessions (default 2)
  --instances N           override the demo bundles' execution.instances (default: as bundled)
  --autofill-max-batch-size N
                          clinfer's max_batch_size for bare models (super-resolution; default 32)
  --client http|fetch     load generator client: node:http keep-alive agent, or fetch (undici)
  --out FILE              JSON results (default benchmarks/results/latest.json)`);
  process.exit(0);
}

const QUICK = opts.quick;
const WORKERS = positiveInt(opts.workers, 'workers');
const CLIENT = opts.client === 'fetch' ? 'fetch' : opts.client === 'http' ? 'http' : fail(`--client must be http or fetch, not ${opts.client}`);
const INSTANCES = opts.instances === undefined ? undefined : positiveInt(opts.instances, 'instances');
const AUTOFILL_MAX_BATCH = opts['autofill-max-batch-size'] === undefined ? undefined : positiveInt(opts['autofill-max-batch-size'], 'autofill-max-batch-size');
const CONCURRENCY = opts.concurrency?.split(',').map((c) => positiveInt(c, 'concurrency'));

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) fail(`--${what} must be a positive integer, not ${text}`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Models and the requests sent to them

interface BenchModel {
  readonly name: string;
  /** Folder copied into clinfer's temporary repository as <name>/ (bundle or bare <version>/model.onnx). */
  readonly source: { dir: string } | { file: string };
  readonly modelPath: string;
  readonly input: string;
  readonly output: string;
  readonly dims: readonly number[];
  readonly outputElements: number;
  readonly sample: Float32Array;
  readonly requests: number;
  /** Warm-up requests before each measurement (at least one per client for the small models). */
  readonly warmup: (concurrency: number) => number;
  readonly concurrency: readonly number[];
  /** Time budget of one measured phase (and of one warm-up), seconds. */
  readonly maxSeconds: number;
  readonly requestTimeoutMs: number;
}

const smallRequests = opts.requests ? positiveInt(opts.requests, 'requests') : QUICK ? 500 : 2000;
const heavyRequests = opts['heavy-requests'] ? positiveInt(opts['heavy-requests'], 'heavy-requests') : QUICK ? 12 : 48;

const smallWarmup = (concurrency: number) => Math.max(Math.min(300, Math.ceil(smallRequests / 5)), concurrency);
const image = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 255) / 255 - 0.5);

const ALL_MODELS: BenchModel[] = [
  {
    name: 'chest-xray-pneumonia',
    source: { dir: join(ROOT, 'models/chest-xray-pneumonia') },
    modelPath: join(ROOT, 'models/chest-xray-pneumonia/1/model.onnx'),
    input: 'image', output: 'logits', dims: [1, 1, 28, 28], outputElements: 2,
    sample: image(28 * 28),
    requests: smallRequests, warmup: smallWarmup,
    concurrency: CONCURRENCY ?? [1, 16, 64], maxSeconds: QUICK ? 20 : 60, requestTimeoutMs: 30_000,
  },
  {
    name: 'heart-disease-risk',
    source: { dir: join(ROOT, 'models/heart-disease-risk') },
    modelPath: join(ROOT, 'models/heart-disease-risk/1/model.onnx'),
    input: 'features', output: 'probability', dims: [1, 13], outputElements: 1,
    sample: Float32Array.from([63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6]),
    requests: smallRequests, warmup: smallWarmup,
    concurrency: CONCURRENCY ?? [1, 16, 64], maxSeconds: QUICK ? 20 : 60, requestTimeoutMs: 30_000,
  },
  {
    name: 'super-resolution',
    source: { file: join(ROOT, 'test/fixtures/third-party/super_resolution/model.onnx') },
    modelPath: join(ROOT, 'test/fixtures/third-party/super_resolution/model.onnx'),
    input: 'input', output: 'output', dims: [1, 1, 224, 224], outputElements: 672 * 672,
    sample: image(224 * 224),
    requests: heavyRequests, warmup: () => (QUICK ? 2 : 4),
    concurrency: CONCURRENCY ?? [1, 16], maxSeconds: QUICK ? 40 : 90, requestTimeoutMs: 120_000,
  },
];

const wanted = opts.models?.split(',').map((s) => s.trim()) ?? ALL_MODELS.map((m) => m.name);
for (const w of wanted) if (!ALL_MODELS.some((m) => m.name === w)) fail(`unknown model ${w}; known: ${ALL_MODELS.map((m) => m.name).join(', ')}`);
const MODELS = ALL_MODELS.filter((m) => wanted.includes(m.name));

interface HttpPayload {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly check: ResponseCheck;
}

/** The OIP v2 JSON request every HTTP server receives (flat data, as most clients send it). */
function jsonPayload(m: BenchModel): HttpPayload {
  const body = { inputs: [{ name: m.input, shape: m.dims, datatype: 'FP32', data: Array.from(m.sample) }] };
  return {
    path: `/v2/models/${m.name}/infer`,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(body)),
    check: { format: 'json', output: m.output, elements: m.outputElements },
  };
}

/** The same request with the binary tensor data extension, asking for a binary output too. */
function binaryPayload(m: BenchModel): HttpPayload {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: m.input, shape: m.dims, datatype: 'FP32', parameters: { binary_data_size: m.sample.byteLength } }],
    outputs: [{ name: m.output, parameters: { binary_data: true } }],
  }));
  return {
    path: `/v2/models/${m.name}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
    body: Buffer.concat([header, Buffer.from(m.sample.buffer, m.sample.byteOffset, m.sample.byteLength)]),
    check: { format: 'binary', output: m.output, elements: m.outputElements },
  };
}

// ---------------------------------------------------------------------------------------------
// Results

type System = 'raw-ort' | 'naive-express' | 'clinfer-json' | 'clinfer-binary';
const SYSTEMS: System[] = ['raw-ort', 'naive-express', 'clinfer-json', 'clinfer-binary'];

interface Row extends Partial<LatencySummary> {
  model: string;
  system: System;
  concurrency: number;
  requests: number;
  errors: number;
  truncated: boolean;
  wallMs: number;
  reqPerSec: number;
  /** CPU used by the benchmark process (server, ONNX Runtime and worker threads), % of one core. */
  serverCpuPct: number;
  /** CPU used by the load generator process, % of one core (absent for raw-ort: no HTTP client). */
  clientCpuPct?: number;
  /** CPU used by everything else on the machine meanwhile (other processes, kernel), % of one core. */
  otherCpuPct?: number;
  /** CPU stolen by the hypervisor meanwhile, % of one core. */
  stealCpuPct?: number;
  /** raw-ort: mean session.run time per request (batch 1), ms. */
  rawComputeMs?: number;
  /** From clinfer's /metrics, measured phase only. */
  clinfer?: { batches: number; meanBatchSize: number; meanComputeMs: number; meanQueueMs: number };
  vsRaw?: number;
  vsNaive?: number;
  failed?: string;
  /** Measured twice because other processes were busy; the row kept is the one they disturbed least. */
  remeasured?: boolean;
}

/** A row during which the rest of the machine used more than this (% of a core) is measured again. */
const OTHER_RETRY_PCT = 25;
/** No row is measured again after this point (ms since start): it bounds the whole run's time. */
const retryDeadline = performance.now() + (QUICK ? 70 : 240) * 1000;

const rows: Row[] = [];

function rowFrom(model: BenchModel, system: System, concurrency: number, loop: LoopResult, cpu: CpuSpent): Row {
  const pct = (ms: number) => (ms / loop.wallMs) * 100;
  const other = cpu.machine ? Math.max(0, cpu.machine.busyMs - cpu.serverMs - (cpu.clientMs ?? 0)) : undefined;
  return {
    model: model.name, system, concurrency,
    requests: loop.latencies.length, errors: loop.errors, truncated: loop.truncated,
    wallMs: loop.wallMs, reqPerSec: loop.latencies.length / (loop.wallMs / 1000),
    ...summarize(loop.latencies),
    serverCpuPct: pct(cpu.serverMs),
    ...(cpu.clientMs !== undefined ? { clientCpuPct: pct(cpu.clientMs) } : {}),
    ...(other !== undefined ? { otherCpuPct: pct(other), stealCpuPct: pct(cpu.machine!.stealMs) } : {}),
    ...(loop.firstError ? { failed: loop.firstError } : {}),
  };
}

interface CpuSpent {
  readonly serverMs: number;
  readonly clientMs?: number;
  readonly machine: MachineCpu | undefined;
}

/** Starts counting this process's and the machine's CPU time; the returned function stops. */
function cpuMeter(): (clientMs?: number) => CpuSpent {
  const process0 = process.cpuUsage();
  const machine0 = machineCpu();
  return (clientMs) => {
    const u = process.cpuUsage(process0);
    const machine1 = machineCpu();
    const machine = machine0 && machine1 ? { busyMs: machine1.busyMs - machine0.busyMs, stealMs: machine1.stealMs - machine0.stealMs } : undefined;
    return { serverMs: (u.user + u.system) / 1000, ...(clientMs !== undefined ? { clientMs } : {}), machine };
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Raw ONNX Runtime: one session per worker thread, batch 1, the same closed loop in-process

interface RawPool {
  run(): Promise<void>;
  /** Mean session.run time (ms) since the last call, and resets it. */
  takeMeanComputeMs(): number;
  close(): Promise<void>;
}

async function startRawPool(model: BenchModel, sessions: number): Promise<RawPool> {
  const data: RawWorkerData = { modelPath: model.modelPath, input: model.input, output: model.output, dims: model.dims };
  // raw-worker-entry.cjs requires raw-worker.ts (a worker thread cannot start from a .ts file).
  const entry = new URL('./raw-worker-entry.cjs', import.meta.url);
  const workers = Array.from({ length: sessions }, () => new Worker(entry, { workerData: data, execArgv: ['--import', TSX] }));
  await Promise.all(workers.map((w) => new Promise<void>((ok, no) => {
    w.once('error', no);
    w.once('message', (m: RawWorkerReply) => (m.kind === 'ready' ? ok() : no(new Error('raw worker failed to start'))));
  })));
  const idle = [...workers];
  const queue: { id: number; input: Float32Array }[] = [];
  const pending = new Map<number, { ok: () => void; no: (e: Error) => void }>();
  let nextId = 0;
  let computeSum = 0;
  let computeCount = 0;
  const post = (w: Worker, job: { id: number; input: Float32Array }) => w.postMessage(job, [job.input.buffer as ArrayBuffer]);
  for (const w of workers) {
    w.on('message', (m: RawWorkerReply) => {
      if (m.kind === 'ready') return;
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.kind === 'done') {
        computeSum += m.computeMs;
        computeCount++;
      }
      if (m.kind === 'done' && m.output.length === model.outputElements) p?.ok();
      else p?.no(new Error(m.kind === 'error' ? m.message : `output holds ${m.output.length} elements`));
      const next = queue.shift();
      if (next) post(w, next);
      else idle.push(w);
    });
  }
  return {
    run() {
      return new Promise<void>((ok, no) => {
        const job = { id: nextId++, input: model.sample.slice() };
        pending.set(job.id, { ok, no });
        const w = idle.pop();
        if (w) post(w, job);
        else queue.push(job);
      });
    },
    takeMeanComputeMs() {
      const mean = computeSum / computeCount;
      computeSum = computeCount = 0;
      return mean;
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

async function measureRaw(model: BenchModel, pool: RawPool, concurrency: number): Promise<Row> {
  const warm = await closedLoop(() => pool.run(), concurrency, model.warmup(concurrency), model.maxSeconds);
  if (warm.errors > 0) throw new Error(`warm-up: ${warm.firstError}`);
  pool.takeMeanComputeMs();
  const stop = cpuMeter();
  const loop = await closedLoop(() => pool.run(), concurrency, model.requests, model.maxSeconds);
  const row = rowFrom(model, 'raw-ort', concurrency, loop, stop());
  row.rawComputeMs = pool.takeMeanComputeMs();
  return row;
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. HTTP systems, loaded from a child process

class Loadgen {
  readonly #child: ChildProcess;
  #nextId = 0;

  constructor() {
    this.#child = fork(fileURLToPath(new URL('./loadgen.ts', import.meta.url)), [], {
      execArgv: ['--import', TSX],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  /** Runs one job; `onWarm` runs between warm-up and measurement (snapshots), then the clock starts. */
  run(job: Omit<LoadJob, 'type' | 'id'>, onWarm: () => Promise<void>) {
    const id = this.#nextId++;
    return new Promise<Extract<FromLoadgen, { type: 'result' }>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      const onMessage = (msg: FromLoadgen) => {
        if (msg.id !== id) return;
        if (msg.type === 'warm') {
          onWarm().then(() => this.#child.send({ type: 'go', id } satisfies LoadGo), reject);
          return;
        }
        this.#child.off('message', onMessage);
        this.#child.off('exit', onExit);
        if (msg.type === 'result') resolve(msg);
        else reject(new Error(msg.message));
      };
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send({ ...job, type: 'run', id } satisfies LoadJob);
    });
  }

  close(): void {
    if (this.#child.connected) this.#child.disconnect();
    if (this.#child.exitCode === null) this.#child.kill();
  }
}

async function measureHttp(loadgen: Loadgen, model: BenchModel, system: System, baseUrl: string, payload: HttpPayload, concurrency: number, clinfer?: ClinferServer): Promise<Row> {
  let stop = cpuMeter();
  let before = clinfer ? await scrape(clinfer, model.name) : undefined;
  const result = await loadgen.run({
    url: baseUrl + payload.path, headers: payload.headers, body: payload.body,
    concurrency, warmup: model.warmup(concurrency), count: model.requests,
    maxSeconds: model.maxSeconds, requestTimeoutMs: model.requestTimeoutMs, check: payload.check, client: CLIENT,
  }, async () => {
    if (clinfer) before = await scrape(clinfer, model.name);
    stop = cpuMeter();
  });
  const cpu = stop(result.cpuMs);
  const loop: LoopResult = { latencies: result.latenciesMs, wallMs: result.wallMs, errors: result.errors, firstError: result.firstError, truncated: result.truncated };
  const row = rowFrom(model, system, concurrency, loop, cpu);
  if (clinfer && before) {
    const delta = counterDelta(before, await scrape(clinfer, model.name));
    // The last, checked request after the measured phase is in the delta too: one batch in thousands.
    row.clinfer = delta;
  }
  return row;
}

async function scrape(server: ClinferServer, model: string) {
  const res = await fetch(`${server.url}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return clinferCounters(parsePrometheus(await res.text()), model);
}

// ---------------------------------------------------------------------------------------------
// The run

function makeRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'clinfer-bench-'));
  for (const m of MODELS) {
    if ('dir' in m.source) {
      cpSync(m.source.dir, join(root, m.name), { recursive: true });
      if (INSTANCES !== undefined) {
        for (const version of ['1']) {
          const file = join(root, m.name, version, 'bundle.json');
          const bundle = JSON.parse(readFileSync(file, 'utf8'));
          bundle.execution = { ...bundle.execution, instances: INSTANCES };
          writeFileSync(file, JSON.stringify(bundle, null, 2));
        }
      }
    } else {
      mkdirSync(join(root, m.name, '1'), { recursive: true });
      cpSync(m.source.file, join(root, m.name, '1', 'model.onnx'));
    }
  }
  return root;
}

function machine() {
  const gitRevision = (() => {
    try {
      return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const packageVersion = (path: string) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, path), 'utf8')).version as string;
    } catch {
      return 'unknown';
    }
  };
  // The runtime may hold uncommitted changes: this names the exact runtime/ tree that was measured.
  const runtimeHash = createHash('sha256');
  const files = (readdirSync(join(ROOT, 'runtime'), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .sort();
  for (const f of files) runtimeHash.update(f.slice(ROOT.length)).update('\0').update(readFileSync(f)).update('\0');
  return {
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    onnxruntimeNode: packageVersion('node_modules/onnxruntime-node/package.json'),
    express: packageVersion('node_modules/express/package.json'),
    clinfer: packageVersion('package.json'),
    gitRevision,
    runtimeSha256: runtimeHash.digest('hex').slice(0, 16),
  };
}

/** CPU the rest of the machine uses before the run starts, % of one core (undefined off Linux). */
async function backgroundCpu(seconds: number): Promise<number | undefined> {
  const a = machineCpu();
  const own0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = machineCpu();
  const own = process.cpuUsage(own0);
  if (!a || !b) return undefined;
  return Math.max(0, (b.busyMs - a.busyMs - (own.user + own.system) / 1000) / (seconds * 10));
}

function progress(row: Row): void {
  const extra = row.clinfer ? ` batch ${fmt(row.clinfer.meanBatchSize)}` : '';
  const bad = row.errors ? ` ERRORS ${row.errors} (${row.failed})` : row.failed ? ` FAILED ${row.failed}` : '';
  process.stderr.write(`  ${row.model} C=${row.concurrency} ${row.system.padEnd(14)} ${fmt(row.reqPerSec).padStart(6)} req/s  p50 ${fmt(row.p50Ms)} ms  p99 ${fmt(row.p99Ms)} ms${extra}${row.truncated ? ' (time budget hit)' : ''}${bad}\n`);
}

function failedRow(model: BenchModel, system: System, concurrency: number, error: unknown): Row {
  return {
    model: model.name, system, concurrency, requests: 0, errors: 0, truncated: false, wallMs: 0, reqPerSec: NaN, serverCpuPct: NaN,
    failed: error instanceof Error ? error.message : String(error),
  };
}

function report(startedAt: Date, totalSeconds: number, info: ReturnType<typeof machine>, background: number | undefined): string {
  const out: string[] = [];
  out.push(`# clinfer benchmark ${QUICK ? '(quick)' : ''}`.trim(), '');
  out.push(`${startedAt.toISOString()} · ${info.cpuModel} · ${info.cores} cores · ${info.memoryGiB} GiB · ${info.os} · Node ${info.node} · onnxruntime-node ${info.onnxruntimeNode} · clinfer ${info.clinfer} (${info.gitRevision}, runtime/ ${info.runtimeSha256}) · ${Math.round(totalSeconds)} s`);
  out.push('', `clinfer: ${WORKERS} workers, intraOpThreads 1${INSTANCES !== undefined ? `, execution.instances overridden to ${INSTANCES}` : ''}${AUTOFILL_MAX_BATCH !== undefined ? `, autofillMaxBatchSize ${AUTOFILL_MAX_BATCH}` : ''}. Raw ORT: ${WORKERS} sessions (one per worker thread, intraOpNumThreads 1). Naive: one session, ORT default threads, main thread. Load: closed loop, batch 1 per request, ${CLIENT === 'http' ? 'node:http keep-alive agent' : 'fetch (undici)'}, one connection per client, loopback; load generator and servers share the same ${info.cores} cores.`);
  const busy = rows.filter((r) => (r.otherCpuPct ?? 0) > OTHER_RETRY_PCT);
  out.push('', `Other processes used ${fmt(background)} % of a core in the 2 s before the run.`);
  if (busy.length > 0) {
    out.push('', `⚠ The machine was not quiet: other processes used over ${OTHER_RETRY_PCT} % of a core during ${busy.length} of ${rows.length} rows even after a second try (column "other"). Those rows understate the system measured; rerun on an idle machine.`);
  }
  for (const m of MODELS) {
    out.push('', `## ${m.name} (input ${m.dims.join('x')}, ${m.requests} requests per row)`, '');
    const table: string[][] = [];
    for (const c of m.concurrency) {
      for (const s of SYSTEMS) {
        const r = rows.find((x) => x.model === m.name && x.concurrency === c && x.system === s);
        if (!r) continue;
        const cpu = [fmt(r.serverCpuPct), r.clientCpuPct !== undefined ? fmt(r.clientCpuPct) : '–', fmt(r.otherCpuPct)].join(' / ');
        const note = r.failed ? ` ⚠ ${r.errors ? `${r.errors} errors` : 'failed'}` : r.truncated ? ' ⚠ time budget' : r.remeasured ? ' ↻' : '';
        table.push([
          String(c), s + note, fmt(r.reqPerSec), fmt(r.p50Ms), fmt(r.p99Ms),
          r.vsRaw !== undefined ? fmt(r.vsRaw) : '', r.vsNaive !== undefined ? fmt(r.vsNaive) : '',
          r.clinfer ? fmt(r.clinfer.meanBatchSize) : '', r.clinfer ? fmt(r.clinfer.meanComputeMs) : r.rawComputeMs !== undefined ? fmt(r.rawComputeMs) : '', cpu,
        ]);
      }
    }
    out.push(markdownTable(['C', 'system', 'req/s', 'p50 ms', 'p99 ms', '× raw', '× naive', 'mean batch', 'batch compute ms', 'CPU % server / client / other'], table));
  }
  out.push('', `× raw, × naive: throughput ratio. mean batch: clinfer_inference_batch_size_sum / _count over the measured phase; batch compute ms: mean ONNX Runtime time per batch (clinfer: clinfer_inference_compute_duration_seconds; raw-ort: session.run, batch 1). CPU %: of one core (200 % = both cores), server = the benchmark process (servers, worker threads, ONNX Runtime), client = the load generator process, other = everything else on the machine (other processes, kernel) during the row. ↻: measured again (at most twice) because other processes used over ${OTHER_RETRY_PCT} % of a core during the first try; the least disturbed try is shown.`);
  return out.join('\n');
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const t0 = performance.now();
  const info = machine();
  // Sampled before anything of ours starts (the load generator's own start-up would count).
  const background = await backgroundCpu(2);
  if (background !== undefined && background > 20) {
    process.stderr.write(`warning: other processes use ${fmt(background)} % of a core right now; the figures will be low and noisy\n`);
  }
  const repo = makeRepository();
  const loadgen = new Loadgen();
  let clinfer: ClinferServer | undefined;
  const cleanup = async () => {
    loadgen.close();
    await clinfer?.close().catch(() => undefined);
    rmSync(repo, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    process.stderr.write(`starting clinfer (${WORKERS} workers) on ${MODELS.map((m) => m.name).join(', ')}\n`);
    clinfer = await startServer(parseConfig({
      models: repo, host: '127.0.0.1', port: 0, workers: WORKERS, logLevel: 'silent',
      ...(AUTOFILL_MAX_BATCH !== undefined ? { autofillMaxBatchSize: AUTOFILL_MAX_BATCH } : {}),
    }));
    for (const model of MODELS) {
      const raw = await startRawPool(model, WORKERS);
      const naive = await startNaiveServer(model.modelPath);
      const json = jsonPayload(model);
      const binary = binaryPayload(model);
      try {
        for (const c of model.concurrency) {
          const attempts: [System, () => Promise<Row>][] = [
            ['raw-ort', () => measureRaw(model, raw, c)],
            ['naive-express', () => measureHttp(loadgen, model, 'naive-express', naive.url, json, c)],
            ['clinfer-json', () => measureHttp(loadgen, model, 'clinfer-json', clinfer!.url, json, c, clinfer)],
            ['clinfer-binary', () => measureHttp(loadgen, model, 'clinfer-binary', clinfer!.url, binary, c, clinfer)],
          ];
          for (const [system, measure] of attempts) {
            let row = await measure().catch((error: unknown) => failedRow(model, system, c, error));
            progress(row);
            // Another process took a large share of the CPU during the row: measure it again, at most
            // twice, and only while the run is within its retry time budget.
            for (let retry = 0; retry < 2 && (row.otherCpuPct ?? 0) > OTHER_RETRY_PCT && performance.now() < retryDeadline; retry++) {
              process.stderr.write(`    other processes used ${fmt(row.otherCpuPct)} % of a core during that row: measuring it again\n`);
              const again = await measure().catch((error: unknown) => failedRow(model, system, c, error));
              progress(again);
              if (!again.failed && (again.otherCpuPct ?? 0) < (row.otherCpuPct ?? 0)) row = again;
              row.remeasured = true;
            }
            rows.push(row);
          }
          const base = (s: System) => rows.find((r) => r.model === model.name && r.concurrency === c && r.system === s && !r.failed)?.reqPerSec;
          for (const r of rows.filter((x) => x.model === model.name && x.concurrency === c)) {
            const rawRps = base('raw-ort');
            const naiveRps = base('naive-express');
            if (r.system !== 'raw-ort' && rawRps) r.vsRaw = r.reqPerSec / rawRps;
            if (r.system.startsWith('clinfer') && naiveRps) r.vsNaive = r.reqPerSec / naiveRps;
          }
        }
      } finally {
        await raw.close();
        await naive.close();
      }
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const totalSeconds = (performance.now() - t0) / 1000;
  console.log(report(startedAt, totalSeconds, info, background));

  const result = {
    date: startedAt.toISOString(),
    quick: QUICK,
    durationSeconds: Math.round(totalSeconds),
    machine: { ...info, backgroundCpuPctBeforeRun: background ?? null },
    settings: {
      workers: WORKERS, instancesOverride: INSTANCES ?? null, autofillMaxBatchSize: AUTOFILL_MAX_BATCH ?? null, client: CLIENT,
      models: MODELS.map((m) => ({
        name: m.name, input: m.input, dims: m.dims, requests: m.requests,
        warmup: Object.fromEntries(m.concurrency.map((c) => [c, m.warmup(c)])), concurrency: m.concurrency, maxSeconds: m.maxSeconds,
      })),
    },
    results: rows,
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  const tmp = `${opts.out}.tmp`;
  writeFileSync(tmp, JSON.stringify(result, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  renameSync(tmp, opts.out);
  process.stderr.write(`wrote ${opts.out}\n`);
  return rows.some((r) => r.failed || r.errors > 0) ? 1 : 0;
}

process.exitCode = await main();
