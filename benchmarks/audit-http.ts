/**
 * What the audit log costs an HTTP client: requests per second through POST /v2 infer (JSON, one row of
 * the demo heart-disease-risk model) with the audit log off and on (signed checkpoints every 100, every
 * answer sent only once its line is durable: group commit, one write and one fdatasync per batch).
 * clinfer runs in a child process (benchmarks/clinfer-child.mjs): compiled (dist/, built first unless
 * `--no-build`), as production runs it, or the sources under tsx with `--from-source`. This process is
 * the loopback load generator: C keep-alive clients, off and on alternated, each server warmed up before it
 * is measured. The warm-up matters: a server just started spends its first seconds compiling (V8's
 * background threads), and this tiny model is fast enough that the first 4000 requests measured the
 * compiler more than the audit (5.5k req/s then, 12k warm).
 * Besides requests per second (which other load on the machine moves), it reports the server's CPU per
 * request: its main thread's (from /proc/<pid>/task/<pid>/schedstat, nanoseconds) and the whole
 * process's (all threads: ONNX Runtime's worker, libuv's pool doing the writes and fdatasyncs).
 * `--profile DIR` starts the servers under `node --cpu-prof` and leaves their main-thread profiles there.
 *
 *   node --import tsx benchmarks/audit-http.ts [--seconds 3] [--warm 2] [--clients 32] [--rounds 3]
 *     [--from-source | --no-build] [--profile DIR]
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop } from './closed-loop.js';
import type { FromServer, ServerSpec, ToServer } from './protocol.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SECONDS = arg('seconds', 3);
const WARM_SECONDS = arg('warm', 2);
const CLIENTS = arg('clients', 32);
const ROUNDS = arg('rounds', 3);
const FROM_SOURCE = process.argv.includes('--from-source');
const PROFILE_AT = process.argv.indexOf('--profile');
const PROFILE_DIR = PROFILE_AT > 0 ? process.argv[PROFILE_AT + 1] : undefined;
for (const [name, value] of [['seconds', SECONDS], ['warm', WARM_SECONDS], ['clients', CLIENTS], ['rounds', ROUNDS]] as const) {
  if (!(value >= 0) || (name !== 'warm' && !(value > 0))) throw new Error(`--${name} must be a positive number, got ${value}`);
}
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'clinfer-audit-http-'));
const keyFile = join(dir, 'audit-key.pem');
writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

const BODY = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [63, 1, 3, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6] }] }));

function startServer(audit: boolean, round: number): Promise<{ url: string; child: ChildProcess }> {
  const config: Record<string, unknown> = { models: join(ROOT, 'models'), host: '127.0.0.1', port: 0, grpcPort: -1, workers: 1, intraOpThreads: 1, logLevel: 'silent' };
  if (audit) Object.assign(config, { auditLog: join(dir, `audit-${round}.jsonl`), auditKeyFile: keyFile, auditCheckpointEvery: 100 });
  // Readiness is polled here (waitReady): a server may answer before its models have finished loading.
  const spec: ServerSpec = { kind: 'clinfer', config, readyModels: [] };
  const profile = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, audit ? 'on' : 'off')] : [];
  const execArgv = FROM_SOURCE ? ['--import', 'tsx', ...profile] : profile;
  const env = { ...process.env, CLINFER_BENCH_FROM_SOURCE: FROM_SOURCE ? '1' : '0' };
  const child = fork(fileURLToPath(new URL('./clinfer-child.mjs', import.meta.url)), [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready`)));
    child.on('message', (msg: FromServer) => {
      if (msg.type === 'ready') waitReady(msg.url).then(() => resolve({ url: msg.url, child }), reject);
      else if (msg.type === 'error') reject(new Error(msg.message));
    });
    child.send({ type: 'start', spec } satisfies ToServer);
  });
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = await fetch(new URL('/v2/models/heart-disease-risk/ready', url)).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`heart-disease-risk is not ready after 120 s (HTTP ${status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ type: 'stop' } satisfies ToServer);
  await exited;
}

/** CPU nanoseconds of a process's main thread (schedstat) and of the whole process (stat, 10 ms ticks). */
function cpuNs(pid: number): { main: number; process: number } {
  const main = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { main, process: (Number(fields[11]) + Number(fields[12])) * 1e7 };
}

interface Round { readonly rps: number; readonly mainUs: number; readonly processUs: number }

async function measure(url: string, pid: number): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const target = new URL('/v2/models/heart-disease-risk/infer', url);
  const send = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(target, { agent, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': BODY.length } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(BODY);
    });
  if (WARM_SECONDS > 0) await closedLoop(send, CLIENTS, WARM_SECONDS);
  const before = cpuNs(pid);
  const r = await closedLoop(send, CLIENTS, SECONDS);
  const after = cpuNs(pid);
  agent.destroy();
  if (r.errors) throw new Error(`${r.errors} requests failed: ${r.firstError}`);
  const n = r.latencies.length;
  return { rps: n / (r.wallMs / 1000), mainUs: (after.main - before.main) / n / 1000, processUs: (after.process - before.process) / n / 1000 };
}

if (!FROM_SOURCE && !process.argv.includes('--no-build')) {
  // Served compiled, as production runs it: dist/ built from the sources as they are now.
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error('the build failed (scripts/build.mjs, see above); fix it, or measure the sources with --from-source');
}
if (PROFILE_DIR) for (const sub of ['on', 'off']) mkdirSync(join(PROFILE_DIR, sub), { recursive: true });
const off: Round[] = [];
const on: Round[] = [];
let lines = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const audit of [false, true]) {
    const { url, child } = await startServer(audit, round);
    try {
      (audit ? on : off).push(await measure(url, child.pid!));
    } finally {
      await stop(child);
    }
    if (audit) lines += readFileSync(join(dir, `audit-${round}.jsonl`), 'utf8').split('\n').filter((l) => l.includes('"action":"predict"')).length;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rps = (rs: Round[]) => rs.map((r) => r.rps);
const us = (x: number) => Math.round(x);
console.log(JSON.stringify({
  seconds_per_round: SECONDS, warm_seconds: WARM_SECONDS, served_from: FROM_SOURCE ? 'source' : 'dist', clients: CLIENTS, rounds: ROUNDS, predict_lines_written: lines,
  off_rps: rps(off).map(Math.round), on_rps: rps(on).map(Math.round),
  off_median_rps: Math.round(median(rps(off))), on_median_rps: Math.round(median(rps(on))), on_over_off: Math.round((median(rps(on)) / median(rps(off))) * 1000) / 1000,
  // Each round's on ÷ off, measured back to back (less moved by load that comes and goes than the medians).
  on_over_off_per_round: on.map((r, i) => Math.round((r.rps / off[i]!.rps) * 1000) / 1000),
  main_thread_us_per_request: { off: us(median(off.map((r) => r.mainUs))), on: us(median(on.map((r) => r.mainUs))) },
  process_cpu_us_per_request: { off: us(median(off.map((r) => r.processUs))), on: us(median(on.map((r) => r.processUs))) },
  // What the audit adds, per round (on minus the off measured just before it), median over rounds: less
  // moved by load that comes and goes than the difference of the medians above.
  audit_added_us_per_request: { main: us(median(on.map((r, i) => r.mainUs - off[i]!.mainUs))), process: us(median(on.map((r, i) => r.processUs - off[i]!.processUs))) },
}));
rmSync(dir, { recursive: true });
