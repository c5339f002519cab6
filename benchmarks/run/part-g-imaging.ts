/**
 * Part G, imaging decode + preprocess per transfer syntax: benchmarks/imaging.ts (helper D's) is a
 * command with no importable function, so the report shows its last results/imaging.json, dated, and
 * says how to run it; this run does not measure it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { ROOT } from './paths.js';

export async function runPartG(ctx: BenchContext): Promise<void> {
  // imaging.ts always writes here, whatever --out says.
  const file = join(ROOT, 'benchmarks/results/imaging.json');
  if (!existsSync(file)) {
    ctx.results.skipped.push({ part: 'G', why: 'benchmarks/imaging.ts offers no importable function and results/imaging.json is missing: run npm run bench:imaging' });
    return;
  }
  ctx.results.imaging = { source: 'results/imaging.json (npm run bench:imaging; not measured by this run)', figures: JSON.parse(readFileSync(file, 'utf8')) };
  ctx.log('G. imaging: not measured here; the report shows results/imaging.json (npm run bench:imaging)');
}
