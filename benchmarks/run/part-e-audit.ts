/**
 * Part E, the audit log's cost: helper script benchmarks/audit-http.ts (its own clinfer children, off
 * and on alternated) run as a child process as it is; its last output line is a JSON object.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { BENCHMARKS, ROOT, TSX } from './paths.js';
import type { AuditFigures } from './results.js';

export async function runPartE(ctx: BenchContext): Promise<void> {
  const args = ['--import', TSX, join(BENCHMARKS, 'audit-http.ts'), '--requests', String(ctx.opts.auditRequests), '--clients', '32', '--rounds', String(ctx.opts.auditRounds)];
  ctx.log(`E. audit log on/off: node ${args.slice(2).join(' ')}`);
  try {
    const stdout = await new Promise<string>((ok, no) => {
      execFile(process.execPath, args, { cwd: ROOT, timeout: 10 * 60_000, maxBuffer: 16 << 20 }, (error, out, err) => {
        if (error) no(new Error(`audit-http.ts failed: ${error.message}${err ? `\n${err.slice(-2000)}` : ''}`));
        else ok(out);
      });
    });
    const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
    if (!line) throw new Error('audit-http.ts printed no JSON line');
    const figures = JSON.parse(line) as AuditFigures;
    if (typeof figures.on_over_off !== 'number') throw new Error(`audit-http.ts's JSON has no on_over_off: ${line.slice(0, 200)}`);
    ctx.results.audit = figures;
    ctx.log(`  audit on ÷ off: ${figures.on_over_off} (${figures.on_median_rps} against ${figures.off_median_rps} req/s)`);
  } catch (error) {
    ctx.results.skipped.push({ part: 'E', why: error instanceof Error ? error.message : String(error) });
    ctx.log(`  E failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
