/**
 * Part B, EHR: records per second through POST /v1/models/heart-disease-risk/predict (JSON records, 1
 * and 32 per request; a FHIR Bundle per request; /v2 infer binary for comparison) against the in-process
 * limit at batch 1 and 32.
 */
import type { BenchContext } from './context.js';
import { clinferSpec } from './children.js';
import { row } from './http-row.js';
import { measureRawLimits } from './in-process.js';
import { HEART, binaryPayload, fhirPayload, recordsPayload } from './models.js';
import { makeRepository } from './repository.js';

export async function runPartB(ctx: BenchContext): Promise<void> {
  const { workers, ehrConcurrency } = ctx.opts;
  ctx.log('B. in-process ONNX Runtime limits (heart-disease-risk)');
  await measureRawLimits(ctx, HEART, workers, 1, HEART.batches, false);
  const fhir = fhirPayload();
  ctx.results.fhirObservations = fhir.observations;
  const server = await ctx.start('clinfer-ehr', clinferSpec(makeRepository(ctx.tmp, 'repo-b', [HEART]), [HEART.name], workers, ctx.opts.maxInstancesPerModel));
  try {
    ctx.log(`B. heart-disease-risk /v1 predict, C=${ehrConcurrency}`);
    const b1 = ctx.results.limitBatch1(HEART.name);
    const b32 = ctx.results.limitsOf(HEART.name).find((l) => l.batch === 32);
    for (const [system, payload] of [
      ['clinfer-records-1', recordsPayload(1)], ['clinfer-records-32', recordsPayload(32)], ['clinfer-fhir', fhir], ['clinfer-oip-binary', binaryPayload(HEART)],
    ] as const) {
      const r = await row(ctx, { part: 'B', model: HEART.name, concurrency: ehrConcurrency, server, system, payload });
      if (!r.failed && b1) r.vsLimitBatch1 = r.itemsPerSec / b1.itemsPerSec;
      if (!r.failed && b32) r.vsLimitBest = r.itemsPerSec / b32.itemsPerSec;
    }
  } finally {
    await ctx.stop(server);
  }
}
