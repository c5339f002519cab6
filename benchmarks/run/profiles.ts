/**
 * Profiles of missed goals: a fresh clinfer (same settings) under `node --cpu-prof`, loaded as in the row
 * that missed, one run per family of goals. Only the main thread is profiled: piscina starts its worker
 * threads with its own execArgv, which --cpu-prof does not reach; how busy ONNX Runtime kept the workers
 * comes from /metrics. The summary keeps the samples of the measured phase only.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CpuProfile, formatSummary, mapToSource, type ProfileSummary, summarizeProfile } from '../profile-summary.js';
import { clinferSpec, type ServerChild } from './children.js';
import type { BenchContext } from './context.js';
import type { GoalResult, ProfileLoad } from './goals.js';
import { describeRow, measureHttp, type RowSpec } from './http-row.js';
import { binaryPayload, jsonPayload } from './models.js';
import { ROOT, TSX } from './paths.js';
import { makeRepository, tunedBatchSizes } from './repository.js';
import type { HttpRow } from './results.js';

export interface ProfileResult {
  scenario: string;
  targets: string[];
  row: HttpRow | undefined;
  mainThread: ProfileSummary | undefined;
  workerComputeBusyPct: number | undefined;
  /** CPU of the server's threads during the measured phase, % of one core, busiest first (main = the main thread). */
  threads?: { thread: string; userPct: number; systemPct: number }[];
  file: string | undefined;
  /** The measured phase in the profile's clock (µs): `summarizeProfile(profile, 15, root, window)` redoes the summary. */
  window?: { fromUs: number; toUs: number };
  error?: string;
}

/** At most this many profiles per run (each costs a server start and PROFILE_SECONDS of load). */
const MAX_PROFILES = 4;

export async function profileMissed(ctx: BenchContext, goals: readonly GoalResult[]): Promise<ProfileResult[]> {
  const families = new Map<string, { ids: string[]; load: ProfileLoad }>();
  for (const g of goals) {
    if (g.met !== false || !g.profile) continue;
    const key = g.family ?? g.id;
    const f = families.get(key) ?? { ids: [], load: g.profile };
    f.ids.push(g.id);
    families.set(key, f);
  }
  const dir = join(ctx.opts.resultsDir, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  const out: ProfileResult[] = [];
  for (const { ids, load } of [...families.values()].slice(0, MAX_PROFILES)) out.push(await profileScenario(ctx, load, ids));
  if (out.length) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.gitignore'), '# Written by npm run bench: open in Chrome DevTools (Performance) or summarise with profile-summary.ts.\n*.cpuprofile\n');
  }
  return out;
}

async function profileScenario(ctx: BenchContext, load: ProfileLoad, targets: string[]): Promise<ProfileResult> {
  const { model: m, format, concurrency, part } = load;
  const scenario = `${m.name}-${format}-c${concurrency}`;
  const dir = join(ctx.tmp, `prof-${scenario}`);
  mkdirSync(dir, { recursive: true });
  const repo = makeRepository(ctx.tmp, `repo-prof-${scenario}`, [m], { preferredBatchSizes: tunedBatchSizes(ctx.results, [m]) });
  ctx.log(`  profiling clinfer (node --cpu-prof) on ${scenario} for ${ctx.opts.profileSeconds} s (goals ${targets.join(', ')})`);
  let server: ServerChild | undefined;
  let r: HttpRow | undefined;
  const window = { fromUs: 0, toUs: 0 };
  const threads: NonNullable<RowSpec['threads']> = {};
  const failed = (error: string): ProfileResult => ({ scenario, targets, row: r, mainThread: undefined, workerComputeBusyPct: undefined, file: undefined, error });
  try {
    server = await ctx.start(`clinfer-profiled-${scenario}`, clinferSpec(repo, [m.name], ctx.opts.workers, ctx.opts.maxInstancesPerModel), { dir, intervalUs: ctx.opts.profileIntervalUs });
    r = await measureHttp(ctx, {
      part, model: m.name, system: `clinfer-${format}`, batching: part === 'D' ? 'off' : 'on', concurrency,
      payload: format === 'json' ? jsonPayload(m) : binaryPayload(m), server, seconds: ctx.opts.profileSeconds, window, threads,
    });
    r.profiled = true;
    ctx.log(describeRow(r));
  } catch (error) {
    await ctx.stop(server);
    return failed(error instanceof Error ? error.message : String(error));
  }
  const pid = server.pid;
  await ctx.stop(server);
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.find((f) => f.split('.')[4] === '0') ?? files[0];
  if (!main) return failed('no .cpuprofile written');
  const profile = JSON.parse(readFileSync(join(dir, main), 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, 15, ROOT, window);
  mapToSource(summary.top, TSX);
  const keep = join(ctx.opts.resultsDir, 'profiles', `${scenario}.cpuprofile`);
  mkdirSync(dirname(keep), { recursive: true });
  cpSync(join(dir, main), keep);
  const workerBusy = r.clinfer ? ((r.clinfer.batches * r.clinfer.meanComputeMs) / r.wallMs / ctx.opts.workers) * 100 : undefined;
  const perThread: NonNullable<ProfileResult['threads']> = [];
  if (threads.before && threads.after) {
    const phaseMs = (window.toUs - window.fromUs) / 1000;
    for (const [tid, a] of threads.after) {
      const b = threads.before.get(tid) ?? { userMs: 0, systemMs: 0 };
      perThread.push({ thread: tid === pid ? 'main' : `tid ${tid}`, userPct: ((a.userMs - b.userMs) / phaseMs) * 100, systemPct: ((a.systemMs - b.systemMs) / phaseMs) * 100 });
    }
    perThread.sort((x, y) => y.userPct + y.systemPct - (x.userPct + x.systemPct));
  }
  ctx.log(formatSummary(summary).split('\n').map((l) => `    ${l}`).join('\n'));
  return { scenario, targets, row: r, mainThread: summary, workerComputeBusyPct: workerBusy, threads: perThread, file: keep.startsWith(ROOT) ? keep.slice(ROOT.length) : keep, window };
}
