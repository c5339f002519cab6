/**
 * Start to READY with the demo bundles: from spawning `node bin/clinfer.mjs serve` until
 * /v2/health/ready answers 200, and the process's resident memory (VmRSS, the worker threads included)
 * at that moment. `compiled` runs dist/ (as `npm start` and the images do); `tsx` runs the TypeScript
 * sources through tsx (CLINFER_FROM_SOURCE=1, development and tests). Runs alternate between the modes,
 * so that a change in the machine's load falls on both.
 *
 *   node --import tsx benchmarks/startup.ts [--runs 5] [--no-build]
 *
 * The compiled mode needs a current dist/ (bin/clinfer.mjs refuses a stale one). The command line builds
 * a fresh one into a temporary folder laid out as the images are (bin/, dist/, package.json and
 * node_modules, no sources: edits to the tree during the runs cannot make it stale); --no-build uses the
 * repository's own dist/. measureStartup() and compareStartup() are what `npm run bench` calls.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type StartupMode = 'compiled' | 'tsx';

export interface StartupSample {
  readonly mode: StartupMode;
  /** Spawn to the first 200 from /v2/health/ready, in milliseconds (polled every 10 ms). */
  readonly readyMs: number;
  /** Resident set of the server process when it became ready, in MiB. */
  readonly rssMiB: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DEMO_MODELS = join(ROOT, 'models');
const POLL_MS = 10;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return kib / 1024;
}

/** Starts the server once in `mode` with the demo bundles, waits for READY, measures, and stops it. */
export async function measureStartup(mode: StartupMode, options: { timeoutMs?: number; models?: string; compiledRoot?: string } = {}): Promise<StartupSample> {
  const env: NodeJS.ProcessEnv = { ...process.env, CLINFER_LOG_LEVEL: 'warn', CLINFER_GRPC_PORT: '0' };
  if (mode === 'tsx') env.CLINFER_FROM_SOURCE = '1';
  else delete env.CLINFER_FROM_SOURCE;
  const started = performance.now();
  const root = mode === 'compiled' ? (options.compiledRoot ?? ROOT) : ROOT;
  const child = spawn(process.execPath, [join(root, 'bin/clinfer.mjs'), 'serve', '--models', options.models ?? DEMO_MODELS, '--host', '127.0.0.1', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = started + (options.timeoutMs ?? 120_000);
    let url: string | undefined;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${mode}: the server exited before READY (${child.exitCode ?? child.signalCode})\n${stderr.slice(-2000)}`);
      if (performance.now() > deadline) throw new Error(`${mode}: not READY within ${options.timeoutMs ?? 120_000} ms\n${stderr.slice(-2000)}`);
      url ??= /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1];
      if (url) {
        const res = await fetch(`${url}/v2/health/ready`).catch(() => undefined);
        await res?.arrayBuffer();
        if (res?.status === 200) return { mode, readyMs: performance.now() - started, rssMiB: rssMiB(child.pid!) };
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** A fresh build in a temporary folder laid out as in the images; returns the folder. */
export function buildPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clinfer-startup-'));
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', join(dir, 'dist')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed (above)');
  mkdirSync(join(dir, 'bin'));
  cpSync(join(ROOT, 'bin/clinfer.mjs'), join(dir, 'bin/clinfer.mjs'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** `runs` starts of each mode, alternating; the median, min and max of each. */
export async function compareStartup(runs: number, options: { compiledRoot?: string } = {}): Promise<{ samples: StartupSample[]; summary: Record<StartupMode, { readyMs: { median: number; min: number; max: number }; rssMiB: { median: number; min: number; max: number } }> }> {
  const samples: StartupSample[] = [];
  for (let i = 0; i < runs; i++) for (const mode of (i % 2 ? ['tsx', 'compiled'] : ['compiled', 'tsx']) as StartupMode[]) samples.push(await measureStartup(mode, options));
  const stats = (values: number[]) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
  const of = (mode: StartupMode) => samples.filter((s) => s.mode === mode);
  const summary = {
    compiled: { readyMs: stats(of('compiled').map((s) => s.readyMs)), rssMiB: stats(of('compiled').map((s) => s.rssMiB)) },
    tsx: { readyMs: stats(of('tsx').map((s) => s.readyMs)), rssMiB: stats(of('tsx').map((s) => s.rssMiB)) },
  };
  return { samples, summary };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 5;
  const compiledRoot = process.argv.includes('--no-build') ? ROOT : buildPackage();
  const { summary } = await compareStartup(runs, { compiledRoot }).finally(() => {
    if (compiledRoot !== ROOT) rmSync(compiledRoot, { recursive: true, force: true });
  });
  const row = (mode: StartupMode) => {
    const s = summary[mode];
    return `${mode.padEnd(8)} ready ${s.readyMs.median.toFixed(0)} ms (${s.readyMs.min.toFixed(0)}-${s.readyMs.max.toFixed(0)})   RSS ${s.rssMiB.median.toFixed(0)} MiB (${s.rssMiB.min.toFixed(0)}-${s.rssMiB.max.toFixed(0)})`;
  };
  console.log(`start to READY with the demo bundles, ${runs} runs each (median, min-max)`);
  console.log(row('compiled'));
  console.log(row('tsx'));
  console.log(`compiled / tsx: ready ${(summary.compiled.readyMs.median / summary.tsx.readyMs.median).toFixed(2)}, RSS ${(summary.compiled.rssMiB.median / summary.tsx.rssMiB.median).toFixed(2)}`);
}
