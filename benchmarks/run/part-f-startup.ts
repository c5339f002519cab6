/**
 * Part F, start to READY and RSS with the demo bundles, compiled against tsx: measured by
 * benchmarks/startup.ts (helper C's, not there yet). Until it is, the part says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { BENCHMARKS } from './paths.js';

export async function runPartF(ctx: BenchContext): Promise<void> {
  const why = existsSync(join(BENCHMARKS, 'startup.ts'))
    ? 'benchmarks/startup.ts exists but is not wired into npm run bench yet'
    : 'benchmarks/startup.ts (start to READY and RSS, compiled against tsx) does not exist yet';
  ctx.results.skipped.push({ part: 'F', why });
  ctx.log(`F. not measured: ${why}`);
}
