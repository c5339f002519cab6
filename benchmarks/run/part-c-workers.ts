/**
 * Part C, workers x intra-op threads: two clinfer servers on PaddleOCR, 2 workers x 1 thread against
 * 1 worker x 2 threads, binary, C=32, measured alternately; and the same comparison in-process.
 */
import type { BenchContext } from './context.js';
import { clinferSpec } from './children.js';
import { row } from './http-row.js';
import { measureRawLimits } from './in-process.js';
import { PPOCR, binaryPayload } from './models.js';
import { makeRepository, tunedBatchSizes } from './repository.js';
import type { BenchResults } from './results.js';

export async function runPartC(ctx: BenchContext): Promise<void> {
  ctx.log('C. in-process limits, 2 sessions x 1 thread against 1 session x 2 threads (ppocr)');
  if (ctx.results.limitsOf(PPOCR.name, 2, 1).length === 0) await measureRawLimits(ctx, PPOCR, 2, 1, PPOCR.batches, false);
  const best = ctx.results.limitBest(PPOCR.name, 2, 1)?.batch ?? 16;
  await measureRawLimits(ctx, PPOCR, 1, 2, [...new Set([1, best])], false);
  ctx.log('C. workers x intraOpThreads on ppocr, binary, C=32');
  const repo = makeRepository(ctx.tmp, 'repo-c', [PPOCR], { preferredBatchSizes: tunedBatchSizes(ctx.results, [PPOCR]) });
  const [s21, s12] = await Promise.all([
    ctx.start('clinfer-2x1', clinferSpec(repo, [PPOCR.name], 2, ctx.opts.maxInstancesPerModel, { intraOpThreads: 1 })),
    ctx.start('clinfer-1x2', clinferSpec(repo, [PPOCR.name], 1, ctx.opts.maxInstancesPerModel, { intraOpThreads: 2 })),
  ]);
  try {
    const payload = binaryPayload(PPOCR);
    for (let round = 1; round <= ctx.opts.cRounds; round++) {
      // Alternating order cancels a slow drift of the machine's load.
      const order = round % 2 === 1 ? [['2x1', s21], ['1x2', s12]] as const : [['1x2', s12], ['2x1', s21]] as const;
      for (const [config, server] of order) {
        await row(ctx, { part: 'C', model: PPOCR.name, system: 'clinfer-binary', batching: 'on', config, round, concurrency: 32, payload, server });
      }
    }
  } finally {
    await ctx.stop(s21, s12);
  }
}

export function partCSummary(results: BenchResults) {
  const of = (cfg: string) => results.rows.filter((r) => r.part === 'C' && r.config === cfg && !r.failed);
  const mean = (rs: { itemsPerSec: number }[]) => (rs.length ? rs.reduce((s, r) => s + r.itemsPerSec, 0) / rs.length : undefined);
  const a = mean(of('2x1'));
  const b = mean(of('1x2'));
  return {
    mean2x1: a, mean1x2: b, ratio: a && b ? a / b : undefined,
    rawBest2x1: results.limitBest(PPOCR.name, 2, 1)?.itemsPerSec, rawBest1x2: results.limitBest(PPOCR.name, 1, 2)?.itemsPerSec,
    rawBatch1_2x1: results.limitBatch1(PPOCR.name, 2, 1)?.itemsPerSec, rawBatch1_1x2: results.limitBatch1(PPOCR.name, 1, 2)?.itemsPerSec,
  };
}
