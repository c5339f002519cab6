/**
 * Part E, the audit log's cost: benchmarks/audit-http.ts (the audit work's; its own clinfer children, off
 * and on alternated) run as a child process as it is; its last output line is a JSON object. When the
 * goal is missed and that script offers `--profile DIR`, it is run once more under it and the main
 * thread's profile of each server (on, off) is summarised over about its measured phase.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CpuProfile, formatSummary, mapToSource, summarizeProfile } from '../profile-summary.js';
import type { BenchContext } from './context.js';
import { BENCHMARKS, ROOT, TSX } from './paths.js';
import type { AuditFigures, AuditProfile } from './results.js';

const SCRIPT = join(BENCHMARKS, 'audit-http.ts');
/** Issue 16: throughput with the audit log on within 10 % of off. */
export const AUDIT_GOAL = 0.9;

function runAuditHttp(ctx: BenchContext, extra: string[]): Promise<AuditFigures> {
  const seconds = String(ctx.opts.auditSeconds);
  // Served as the rest of the run serves clinfer: compiled (run.ts has built dist/) or from the sources.
  const served = ctx.opts.fromSource ? ['--from-source'] : ['--no-build'];
  const args = ['--import', TSX, SCRIPT, '--seconds', seconds, '--warm', seconds, '--clients', '32', ...served, ...extra];
  ctx.log(`  node benchmarks/audit-http.ts ${args.slice(3).join(' ')}`);
  return new Promise<string>((ok, no) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 10 * 60_000, maxBuffer: 16 << 20 }, (error, out, err) => {
      if (error) no(new Error(`audit-http.ts failed: ${error.message.split('\n')[0]}${err ? ` (${err.trim().split('\n').slice(-3).join(' | ')})` : ''}`));
      else ok(out);
    });
  }).then((stdout) => {
    const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
    if (!line) throw new Error('audit-http.ts printed no JSON line');
    const figures = JSON.parse(line) as AuditFigures;
    if (typeof figures.on_over_off !== 'number') throw new Error(`audit-http.ts's JSON has no on_over_off: ${line.slice(0, 200)}`);
    return figures;
  });
}

export async function runPartE(ctx: BenchContext): Promise<void> {
  ctx.log('E. audit log on/off (benchmarks/audit-http.ts)');
  try {
    const figures = await runAuditHttp(ctx, ['--rounds', String(ctx.opts.auditRounds)]);
    ctx.results.audit = figures;
    ctx.log(`  audit on ÷ off: ${figures.on_over_off} (${figures.on_median_rps} against ${figures.off_median_rps} req/s)`);
    if (figures.on_over_off < AUDIT_GOAL && ctx.opts.profile) await profileAudit(ctx);
  } catch (error) {
    ctx.results.skipped.push({ part: 'E', why: error instanceof Error ? error.message : String(error) });
    ctx.log(`  E failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function profileAudit(ctx: BenchContext): Promise<void> {
  if (!readFileSync(SCRIPT, 'utf8').includes("'--profile'")) {
    ctx.log('  audit-http.ts has no --profile: the missed audit goal is not profiled');
    return;
  }
  const dir = join(ctx.tmp, 'audit-prof');
  mkdirSync(dir, { recursive: true });
  ctx.log('  profiling the audit servers (audit-http.ts --profile, 1 round)');
  const figures = await runAuditHttp(ctx, ['--rounds', '1', '--profile', dir]);
  const profiles: AuditProfile[] = [];
  for (const mode of ['on', 'off'] as const) {
    const sub = join(dir, mode);
    const rps = mode === 'on' ? figures.on_median_rps : figures.off_median_rps;
    // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread.
    const main = existsSync(sub) ? readdirSync(sub).find((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0') : undefined;
    if (!main || !(rps > 0)) continue;
    const profile = JSON.parse(readFileSync(join(sub, main), 'utf8')) as CpuProfile;
    // The load's own length, counted back from the end (the server stops right after it): start-up and model loading left out.
    const measuredUs = ctx.opts.auditSeconds * 1e6;
    const window = { fromUs: profile.endTime - measuredUs - 300_000, toUs: profile.endTime };
    const summary = summarizeProfile(profile, 15, ROOT, window);
    mapToSource(summary.top, TSX);
    profiles.push({ mode, rps, seconds: (window.toUs - window.fromUs) / 1e6, summary });
    ctx.log(`  audit ${mode}:\n${formatSummary(summary).split('\n').map((l) => `    ${l}`).join('\n')}`);
  }
  ctx.results.auditProfiles = profiles;
}
