/**
 * npm run bench [-- --quick] : issue 16's goals measured in one run, before -> now, with the profile of
 * any missed goal. The parts (benchmarks/README.md) each take the run's BenchContext:
 *
 *   A. scheduler (run/part-a-scheduler.ts)   B. EHR /v1 predict (part-b-ehr.ts)
 *   C. workers x threads (part-c-workers.ts)  D. tiny MNIST at 64 clients (part-d-mnist.ts)
 *   E. audit on/off (audit-http.ts)           F. start-up (startup.ts, when it exists)
 *   G. imaging (imaging.json pointer)         H. web app in Chromium (browser.ts; optional)
 *
 * Progress on stderr, the report on stdout and in results/report.md, every figure in
 * results/latest.json, the chart in results/latency-throughput.svg. benchmarks/README.md's generated
 * block changes only with --write-readme.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fmt } from './stats.js';
import { BenchContext } from './run/context.js';
import { evaluateGoals, xrayTargets } from './run/goals.js';
import { latencyChart } from './run/latency-chart.js';
import { backgroundCpu, machineInfo } from './run/machine.js';
import { ALL_MODELS, IMAGE_MODELS } from './run/models.js';
import { type BenchOptions, HELP, OptionError, type PartId, parseOptions } from './run/options.js';
import { runPartA } from './run/part-a-scheduler.js';
import { runPartB } from './run/part-b-ehr.js';
import { partCSummary, runPartC } from './run/part-c-workers.js';
import { runPartD } from './run/part-d-mnist.js';
import { runPartE } from './run/part-e-audit.js';
import { runPartF } from './run/part-f-startup.js';
import { runPartG } from './run/part-g-imaging.js';
import { runPartH } from './run/part-h-browser.js';
import { log, ROOT } from './run/paths.js';
import { profileMissed } from './run/profiles.js';
import { tunedBatchSizes } from './run/repository.js';
import { type RunRecord, scenarioName, toJson } from './run/record.js';
import { writeReadmeBlock } from './run/readme-block.js';
import { renderReport } from './run/report.js';
import { type BenchResults, resultsFromSaved, type SavedRun } from './run/results.js';

const PARTS: Record<PartId, (ctx: BenchContext) => Promise<void>> = {
  A: runPartA, B: runPartB, C: runPartC, D: runPartD, E: runPartE, F: runPartF, G: runPartG, H: runPartH,
};

function readBaseline(opts: BenchOptions): { saved: SavedRun; results: BenchResults; imaging: unknown } | undefined {
  if (!existsSync(opts.baseline)) return undefined;
  const saved = JSON.parse(readFileSync(opts.baseline, 'utf8')) as SavedRun;
  const imagingFile = opts.baseline.replace(/\.json$/, '-imaging.json');
  const imaging = existsSync(imagingFile) ? JSON.parse(readFileSync(imagingFile, 'utf8')) : undefined;
  return { saved, results: resultsFromSaved(saved), imaging };
}

async function main(opts: BenchOptions): Promise<number> {
  const startedAt = new Date();
  const t0 = performance.now();
  const info = machineInfo();
  // Sampled before anything of ours starts (the load generator's own start-up would count).
  const background = await backgroundCpu(2);
  if (background !== undefined && background > 20) log(`warning: other processes use ${fmt(background)} % of a core right now; the figures will be low and noisy`);
  // clinfer is served compiled, as production runs it: build dist/ from the sources as they are now.
  if (!opts.fromSource && ['A', 'B', 'C', 'D', 'E'].some((p) => opts.parts.has(p as PartId))) {
    log('building dist/ (scripts/build.mjs): clinfer is served compiled, as in production');
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) throw new OptionError('the build failed (see above); fix it, or measure the sources with --from-source');
  }
  const ctx = new BenchContext(opts);
  const onSignal = () => void ctx.close().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const baseline = readBaseline(opts);
  let record: RunRecord;
  try {
    for (const id of Object.keys(PARTS) as PartId[]) {
      if (opts.parts.has(id)) await PARTS[id](ctx);
    }
    const goals = [...evaluateGoals(ctx.results, baseline?.results, baseline?.imaging), ...(opts.parts.has('A') ? xrayTargets(ctx.results, baseline?.results, opts.concurrency) : [])];
    for (const g of goals) log(`goal ${g.id} ${g.met === undefined ? (g.goal === 'watched' ? 'watched' : 'not measured') : g.met ? 'MET' : 'MISSED'}: ${g.measure}: ${g.now.text}`);
    const profiles = opts.profile ? await profileMissed(ctx, goals) : [];
    record = {
      date: startedAt.toISOString(),
      quick: opts.quick,
      durationSeconds: Math.round((performance.now() - t0) / 1000),
      machine: { ...info, backgroundCpuPctBeforeRun: background ?? null },
      settings: {
        parts: [...opts.parts], workers: opts.workers, maxInstancesPerModel: opts.maxInstancesPerModel, client: opts.client, concurrency: [...opts.concurrency], rowSeconds: opts.rowSeconds, warmupSeconds: opts.warmSeconds,
        rawSecondsPerBatch: opts.rawSeconds, ehrConcurrency: opts.ehrConcurrency, mnistConcurrency: opts.mnistConcurrency, cRounds: opts.cRounds, profileSeconds: opts.profileSeconds,
        models: ALL_MODELS.map((m) => ({ name: m.name, input: m.input, itemDims: m.itemDims, batches: m.batches })),
        fhirObservationsPerBundle: ctx.results.fhirObservations ?? null,
        preferredBatchSizes: tunedBatchSizes(ctx.results, IMAGE_MODELS),
        // The server's default (the bench does not set it); with an explicit --max-instances-per-model lending is off.
        workerLending: opts.maxInstancesPerModel === 0,
        servedFrom: opts.fromSource ? 'source' : 'dist',
      },
      baseline: baseline ? { file: relative(ROOT, opts.baseline), date: baseline.saved.date, gitRevision: baseline.saved.machine.gitRevision } : null,
      goals: goals.map(({ profile, ...g }) => ({ ...g, profileScenario: profile ? scenarioName(profile) : null })),
      inProcessLimits: ctx.results.rawLimits,
      inProcessLatency: ctx.results.rawLatencies,
      http: ctx.results.rows,
      workersVsThreads: opts.parts.has('C') ? partCSummary(ctx.results) : null,
      audit: ctx.results.audit ?? null,
      auditProfiles: ctx.results.auditProfiles,
      startup: ctx.results.startup ?? null,
      imaging: ctx.results.imaging ?? null,
      browser: ctx.results.browser ?? null,
      skipped: ctx.results.skipped,
      profiles,
    };
  } finally {
    await ctx.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  writeOutputs(opts, record, ctx.results);
  return ctx.results.rows.some((r) => r.failed || r.errors > 0) ? 1 : 0;
}

/** latest.json (atomically), report.md, the chart; the README block only when asked. */
function writeOutputs(opts: BenchOptions, record: RunRecord, results: BenchResults): void {
  mkdirSync(opts.resultsDir, { recursive: true });
  const tmp = `${opts.out}.tmp`;
  writeFileSync(tmp, toJson(record));
  renameSync(tmp, opts.out);
  log(`wrote ${opts.out} (${record.durationSeconds} s)`);
  renderOutputs(opts, record, results);
}

function renderOutputs(opts: BenchOptions, record: RunRecord, results: BenchResults): void {
  const markdown = renderReport(record, results);
  console.log(markdown);
  writeFileSync(join(opts.resultsDir, 'report.md'), `${markdown}\n`);
  log(`wrote ${join(opts.resultsDir, 'report.md')}`);
  if (record.settings.parts.includes('A')) {
    const svg = join(opts.resultsDir, 'latency-throughput.svg');
    writeFileSync(svg, latencyChart(results, record.settings.concurrency, { date: record.date, ...record.machine }));
    log(`wrote ${svg}`);
  }
  if (opts.writeReadme) writeReadmeBlock(markdown);
}

/** --redraw: report.md and the chart again from a results file (e.g. after changing report.ts), measuring nothing. */
function redraw(opts: BenchOptions): number {
  const record = JSON.parse(readFileSync(opts.out, 'utf8')) as RunRecord;
  renderOutputs(opts, record, resultsFromSaved(record));
  return 0;
}

let opts: BenchOptions | 'help';
try {
  opts = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof OptionError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')))) throw error;
  console.error(error.message);
  process.exit(2);
}
if (opts === 'help') {
  console.log(HELP);
  process.exit(0);
}
process.exitCode = opts.redraw ? redraw(opts) : await main(opts);
