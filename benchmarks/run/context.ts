/**
 * The explicit context every part takes: the options, the results of this run, the load generator, the
 * server children and a temporary folder. Created once by run.ts and closed once at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerSpec } from '../protocol.js';
import { ChildProcessSet, Loadgen, type ServerChild } from './children.js';
import type { BenchOptions } from './options.js';
import { log } from './paths.js';
import { BenchResults } from './results.js';

/** A row or limit during which the rest of the machine used more than this (% of a core) is measured again. */
export const OTHER_RETRY_PCT = 25;

export class BenchContext {
  readonly opts: BenchOptions;
  readonly results: BenchResults;
  readonly tmp = mkdtempSync(join(tmpdir(), 'clinfer-bench-'));
  readonly log = log;
  readonly #children: ChildProcessSet;
  readonly #servers = new Set<ServerChild>();
  /** Time all re-measurements of a run may take together: it bounds the whole run's time. */
  readonly #retryBudgetMs: number;
  #retrySpentMs = 0;
  #loadgen: Loadgen | undefined;

  constructor(opts: BenchOptions) {
    this.opts = opts;
    this.#children = new ChildProcessSet(opts.fromSource);
    this.results = new BenchResults(opts.workers);
    this.#retryBudgetMs = (opts.quick ? 6 : 30) * 1000;
  }

  /** The load generator child, started on first use (parts E-H do not need it). */
  get loadgen(): Loadgen {
    this.#loadgen ??= new Loadgen();
    return this.#loadgen;
  }

  /** Starts a server child, stopped by close() if the part does not stop it first. */
  async start(name: string, spec: ServerSpec, cpuProf?: { dir: string; intervalUs: number }): Promise<ServerChild> {
    const s = await this.#children.start(name, spec, cpuProf);
    this.#servers.add(s);
    return s;
  }

  async stop(...servers: (ServerChild | undefined)[]): Promise<void> {
    await Promise.all(servers.filter((s): s is ServerChild => s !== undefined).map((s) => {
      this.#servers.delete(s);
      return s.stop();
    }));
  }

  /** Whether another try of a disturbed measurement fits in the run's budget. */
  mayRetry(): boolean {
    return this.#retrySpentMs < this.#retryBudgetMs;
  }

  async retry<T>(measure: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await measure();
    } finally {
      this.#retrySpentMs += performance.now() - t0;
    }
  }

  async close(): Promise<void> {
    this.#loadgen?.close();
    await Promise.all([...this.#servers].map((s) => s.stop().catch(() => undefined)));
    this.#children.killAll();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
