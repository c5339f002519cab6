/**
 * The options of `npm run bench`, parsed and checked once into a frozen BenchOptions; nothing else reads
 * process.argv. Every part reads its lengths from here, so --quick changes them in one place.
 */
import { join, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './paths.js';

/** A: scheduler, B: EHR, C: workers x threads, D: MNIST, E: audit on/off, F: start-up, G: imaging, H: browser. */
export const PART_IDS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
export type PartId = (typeof PART_IDS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly parts: ReadonlySet<PartId>;
  readonly workers: number;
  /**
   * clinfer's maxInstancesPerModel for every server the bench starts; 0 is the server's default
   * (workers - 1, at least 1: one model leaves a worker to the others, so with 2 workers a lone model runs
   * on one of them while the in-process limit uses both).
   */
  readonly maxInstancesPerModel: number;
  readonly client: 'http' | 'fetch';
  /** Closed-loop clients of part A. */
  readonly concurrency: readonly number[];
  readonly rowSeconds: number;
  readonly warmSeconds: number;
  /** In-process limit: measured seconds per batch size and session configuration, and its warm-up. */
  readonly rawSeconds: number;
  readonly rawWarmMs: number;
  readonly profile: boolean;
  readonly profileSeconds: number;
  /** V8's default sampling interval: a finer one slows the profiled server down noticeably on 2 cores. */
  readonly profileIntervalUs: number;
  readonly cRounds: number;
  readonly ehrConcurrency: number;
  readonly mnistConcurrency: number;
  /** Part E: measured seconds per round (after a warm-up of as long) and rounds of benchmarks/audit-http.ts. */
  readonly auditSeconds: number;
  readonly auditRounds: number;
  /** Part H: cold/warm runs of benchmarks/browser.ts. */
  readonly browserRuns: number;
  readonly writeReadme: boolean;
  /** JSON results; the report, chart and profiles go to its folder. */
  readonly out: string;
  readonly resultsDir: string;
  /** The figures before this work, shown as before -> now. */
  readonly baseline: string;
  readonly redraw: boolean;
  /** Serve clinfer from the TypeScript sources through tsx instead of the compiled dist/ production runs. */
  readonly fromSource: boolean;
}

export const HELP = `usage: npm run bench -- [options]
  --quick               a few minutes instead of 8-10 (shorter rows, one round in part C, fewer browser runs)
  --parts A,B,C,D,E,F,G,H
                        A: scheduler (X-ray, PaddleOCR; C=1 latency, event-loop lag), B: EHR /v1 predict,
                        C: workers x threads, D: tiny MNIST at 64 clients, E: audit log on/off (audit-http.ts),
                        F: start to READY and RSS (startup.ts), G: imaging (imaging.ts), H: web app cold load
                        in Chromium (browser.ts; reported as not measured where Chromium is missing)
  --concurrency 1,8,32,64
                        closed-loop clients of part A (default 1,8,32,64)
  --seconds S           measured seconds per HTTP row (default 2.5, quick 0.7)
  --warmup S            warm-up seconds before each row (default 0.6, quick 0.25)
  --workers N           clinfer workers, and in-process ONNX Runtime sessions (default 2)
  --max-instances-per-model N
                        clinfer's maxInstancesPerModel (default 0: the server's default, workers - 1, which
                        keeps a worker for other models; set it to --workers to let one model use them all)
  --client http|fetch   load generator client: node:http keep-alive agent, or fetch (undici)
  --no-profile          do not profile clinfer when a target is missed
  --write-readme        also replace the generated block of benchmarks/README.md with this run's report
  --out FILE            JSON results (default benchmarks/results/latest.json); report.md, the chart and the
                        profiles go to its folder
  --baseline FILE       the figures shown as "before" (default benchmarks/results/baseline-2026-12-04.json)
  --redraw              measure nothing: redraw the chart and report.md from the --out JSON
  --from-source         serve clinfer from the TypeScript sources through tsx (default: the compiled dist/,
                        as production runs it, built at the start of the run)`;

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      parts: { type: 'string', default: PART_IDS.join(',') },
      concurrency: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      workers: { type: 'string', default: '2' },
      'max-instances-per-model': { type: 'string', default: '0' },
      client: { type: 'string', default: 'http' },
      profile: { type: 'boolean', default: true },
      'write-readme': { type: 'boolean', default: false },
      out: { type: 'string', default: join(ROOT, 'benchmarks/results/latest.json') },
      baseline: { type: 'string', default: join(ROOT, 'benchmarks/results/baseline-2026-12-04.json') },
      redraw: { type: 'boolean', default: false },
      'from-source': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowNegative: true,
  });
  if (v.help) return 'help';
  const quick = v.quick;
  const parts = new Set<PartId>();
  for (const p of v.parts.split(',').map((x) => x.trim().toUpperCase())) {
    if (!(PART_IDS as readonly string[]).includes(p)) throw new OptionError(`--parts: unknown part ${p} (${PART_IDS.join(', ')})`);
    parts.add(p as PartId);
  }
  if (v.client !== 'http' && v.client !== 'fetch') throw new OptionError(`--client must be http or fetch, not ${v.client}`);
  const out = resolve(v.out);
  return Object.freeze({
    quick,
    parts,
    workers: positiveInt(v.workers, 'workers'),
    maxInstancesPerModel: v['max-instances-per-model'] === '0' ? 0 : positiveInt(v['max-instances-per-model'], 'max-instances-per-model'),
    client: v.client,
    concurrency: Object.freeze(v.concurrency ? v.concurrency.split(',').map((c) => positiveInt(c, 'concurrency')) : [1, 8, 32, 64]),
    rowSeconds: v.seconds ? positiveSeconds(v.seconds, 'seconds') : quick ? 0.7 : 2.5,
    warmSeconds: v.warmup ? positiveSeconds(v.warmup, 'warmup') : quick ? 0.25 : 0.6,
    rawSeconds: quick ? 0.6 : 1.5,
    rawWarmMs: quick ? 100 : 250,
    profile: v.profile,
    profileSeconds: quick ? 2 : 5,
    profileIntervalUs: 1000,
    cRounds: quick ? 1 : 2,
    ehrConcurrency: 16,
    mnistConcurrency: 64,
    auditSeconds: quick ? 1 : 3,
    auditRounds: quick ? 1 : 3,
    browserRuns: quick ? 1 : 3,
    writeReadme: v['write-readme'],
    out,
    resultsDir: dirname(out),
    baseline: resolve(v.baseline),
    redraw: v.redraw,
    fromSource: v['from-source'],
  });
}

/** A wrong option: the command prints the message and exits 2. */
export class OptionError extends Error {}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new OptionError(`--${what} must be a positive integer, not ${text}`);
  return n;
}

function positiveSeconds(text: string, what: string): number {
  const n = Number(text);
  if (!(n > 0 && n < 600)) throw new OptionError(`--${what} must be a positive number of seconds, not ${text}`);
  return n;
}
