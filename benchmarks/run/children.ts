/**
 * The bench's child processes: the load generator (loadgen.ts, driven over IPC) and the servers under
 * test (clinfer-child.mjs: clinfer; server-child.ts: the naive express server or the HTTP floor). Every child started is
 * tracked by its ChildProcessSet, so an interrupted run kills exactly its own children.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromLoadgen, FromServer, LoadGo, LoadJob, ServerSpec, ToServer } from '../protocol.js';
import { clinferCounters, counterDelta, parsePrometheus, type ClinferCounters } from '../stats.js';
import { lagDelta, parseLagHistogram, type LagHistogram } from './event-loop-lag.js';
import { TSX } from './paths.js';
import type { EventLoopLag } from './results.js';

export class Loadgen {
  readonly #child: ChildProcess;
  #nextId = 0;

  constructor() {
    this.#child = fork(fileURLToPath(new URL('../loadgen.ts', import.meta.url)), [], {
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

export interface ServerChild {
  readonly name: string;
  readonly url: string;
  readonly pid: number | undefined;
  readonly isClinfer: boolean;
  stop(): Promise<void>;
}

/** The live server children of one run: killed at the end whatever happened. */
export class ChildProcessSet {
  readonly #live = new Set<ChildProcess>();
  readonly #fromSource: boolean;

  /** `fromSource`: clinfer from the TypeScript sources (clinfer-child.mjs under tsx); else the compiled dist/ (plain node). */
  constructor(fromSource = false) {
    this.#fromSource = fromSource;
  }

  /** Starts a server in a child process; with `cpuProf`, under node --cpu-prof. */
  start(name: string, spec: ServerSpec, cpuProf?: { dir: string; intervalUs: number }): Promise<ServerChild> {
    const profile = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf.dir}`, `--cpu-prof-interval=${cpuProf.intervalUs}`] : [];
    // clinfer as production runs it (compiled, plain node, not told to run from source), or its sources through tsx.
    const { CLINFER_FROM_SOURCE: _fromSource, ...env } = process.env;
    const child = spec.kind === 'clinfer'
      ? fork(fileURLToPath(new URL('../clinfer-child.mjs', import.meta.url)), [], this.#fromSource
        ? { execArgv: ['--import', TSX, ...profile], env: { ...env, CLINFER_BENCH_FROM_SOURCE: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }
        : { execArgv: profile, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : fork(fileURLToPath(new URL('../server-child.ts', import.meta.url)), [], { execArgv: ['--import', TSX, ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#live.add(child);
    const exited = new Promise<void>((r) => child.once('exit', () => { this.#live.delete(child); r(); }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { child.kill(); reject(new Error(`${name}: not ready within 120 s`)); }, 120_000);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name}: exited (${code}) before it was ready`)); });
      child.on('message', (msg: FromServer) => {
        if (msg.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${name}: ${msg.message}`));
        } else if (msg.type === 'ready') {
          clearTimeout(timer);
          resolve({
            name, url: msg.url, pid: child.pid, isClinfer: spec.kind === 'clinfer',
            async stop() {
              if (child.exitCode === null && child.connected) child.send({ type: 'stop' } satisfies ToServer);
              const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
              await exited;
              clearTimeout(killer);
            },
          });
        }
      });
      child.send({ type: 'start', spec } satisfies ToServer);
    });
  }

  killAll(): void {
    for (const c of this.#live) c.kill('SIGKILL');
  }
}

/** `maxInstancesPerModel`: the bench's --max-instances-per-model (0: the server's default, left unset). */
export function clinferSpec(repo: string, readyModels: readonly string[], workers: number, maxInstancesPerModel: number, extra: Record<string, unknown> = {}): ServerSpec {
  return {
    kind: 'clinfer', readyModels,
    config: {
      models: repo, host: '127.0.0.1', port: 0, grpcPort: -1, workers, intraOpThreads: 1, logLevel: 'silent',
      ...(maxInstancesPerModel > 0 ? { maxInstancesPerModel } : {}), ...extra,
    },
  };
}

export interface Scrape {
  readonly counters: ClinferCounters;
  readonly lag: LagHistogram | undefined;
}

export async function scrape(server: ServerChild, model: string): Promise<Scrape> {
  const res = await fetch(`${server.url}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  return { counters: clinferCounters(parsePrometheus(text), model), lag: parseLagHistogram(text) };
}

export function scrapeDelta(before: Scrape, after: Scrape): { clinfer: ReturnType<typeof counterDelta>; eventLoopLag: EventLoopLag | undefined } {
  return { clinfer: counterDelta(before.counters, after.counters), eventLoopLag: before.lag && after.lag ? lagDelta(before.lag, after.lag) : undefined };
}
