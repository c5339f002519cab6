/**
 * Part F, start to READY and RSS with the demo bundles, compiled (dist/, as `npm start` and the images
 * run) against tsx: benchmarks/startup.ts (the build work's) builds a fresh package into a temporary
 * folder and starts both alternately. If the build or a start fails (a tree that does not type-check
 * does not build), the part says "not measured" and why.
 */
import { rmSync } from 'node:fs';
import { buildPackage, compareStartup, type StartupMode } from '../startup.js';
import type { BenchContext } from './context.js';

type Stats = { median: number; min: number; max: number };

export interface StartupFigures {
  runs: number;
  compiled: { readyMs: Stats; rssMiB: Stats };
  tsx: { readyMs: Stats; rssMiB: Stats };
}

export async function runPartF(ctx: BenchContext): Promise<void> {
  const runs = ctx.opts.quick ? 1 : 3;
  ctx.log(`F. start to READY and RSS, compiled and tsx, ${runs} run(s) each (benchmarks/startup.ts; builds a fresh package first)`);
  let compiledRoot: string | undefined;
  try {
    compiledRoot = buildPackage();
    const { summary } = await compareStartup(runs, { compiledRoot });
    const figures: StartupFigures = { runs, compiled: summary.compiled, tsx: summary.tsx };
    ctx.results.startup = figures;
    ctx.log(`  compiled: READY ${Math.round(figures.compiled.readyMs.median)} ms, RSS ${Math.round(figures.compiled.rssMiB.median)} MiB; tsx: READY ${Math.round(figures.tsx.readyMs.median)} ms, RSS ${Math.round(figures.tsx.rssMiB.median)} MiB`);
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    ctx.results.skipped.push({ part: 'F', why: `benchmarks/startup.ts failed: ${why}` });
    ctx.log(`  F failed: ${why}`);
  } finally {
    if (compiledRoot) rmSync(compiledRoot, { recursive: true, force: true });
  }
}

/** "compiled 1200 ms / 180 MiB · tsx 2500 ms / 230 MiB" (medians). */
export function startupText(figures: unknown): string {
  const f = figures as StartupFigures;
  const one = (mode: StartupMode) => `${mode} READY ${Math.round(f[mode].readyMs.median)} ms, RSS ${Math.round(f[mode].rssMiB.median)} MiB`;
  return `${one('compiled')} · ${one('tsx')} (median of ${f.runs}; compiled ÷ tsx: READY ${(f.compiled.readyMs.median / f.tsx.readyMs.median).toFixed(2)}, RSS ${(f.compiled.rssMiB.median / f.tsx.rssMiB.median).toFixed(2)})`;
}
