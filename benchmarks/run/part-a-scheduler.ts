/**
 * Part A, the scheduler: the demo X-ray CNN and the PaddleOCR classifier; the in-process limit; the HTTP
 * floor, the thread floor, the naive server, and clinfer JSON and binary with dynamic batching on and off at every C.
 */
import type { BenchContext } from './context.js';
import { clinferSpec } from './children.js';
import { relate, row } from './http-row.js';
import { measureRawLimits } from './in-process.js';
import { IMAGE_MODELS, binaryPayload, jsonPayload } from './models.js';
import { makeRepository, tunedBatchSizes } from './repository.js';
import type { HttpRow } from './results.js';

export async function runPartA(ctx: BenchContext): Promise<void> {
  const { workers, concurrency } = ctx.opts;
  ctx.log('A. in-process ONNX Runtime limits');
  for (const m of IMAGE_MODELS) await measureRawLimits(ctx, m, workers, 1, m.batches, true);
  ctx.log(`A. starting clinfer with batching on and with batching off (${workers} workers x 1 thread)`);
  const names = IMAGE_MODELS.map((m) => m.name);
  // Batching on: each model's best in-process batch is its preferred batch size (what a free worker takes).
  const preferredBatchSizes = tunedBatchSizes(ctx.results, IMAGE_MODELS);
  ctx.log(`A. preferred batch sizes (best in-process batch): ${JSON.stringify(preferredBatchSizes)}`);
  const [on, off] = await Promise.all([
    ctx.start('clinfer-on', clinferSpec(makeRepository(ctx.tmp, 'repo-a-on', IMAGE_MODELS, { preferredBatchSizes }), names, workers, ctx.opts.maxInstancesPerModel)),
    // Batching off: the demo bundle says max_batch_size 0, the bare model gets autofill 0.
    ctx.start('clinfer-off', clinferSpec(makeRepository(ctx.tmp, 'repo-a-off', IMAGE_MODELS, { maxBatchSize: 0 }), names, workers, ctx.opts.maxInstancesPerModel, { autofillMaxBatchSize: 0 })),
  ]);
  try {
    for (const m of IMAGE_MODELS) {
      ctx.log(`A. ${m.name}`);
      const naive = await ctx.start(`naive-${m.name}`, { kind: 'naive', modelPath: m.modelPath });
      // What HTTP itself costs here (load generator, loopback, node:http): a server that answers at once.
      const floor = await ctx.start(`floor-${m.name}`, { kind: 'floor', output: m.output, elements: m.outputPerItem });
      // The least a server that runs the model off its event loop does (thread-floor-server.ts): the bound for G4.
      const threadFloor = await ctx.start(`thread-floor-${m.name}`, { kind: 'thread-floor', model: m.name, threads: workers });
      const json = jsonPayload(m);
      const binary = binaryPayload(m);
      try {
        for (const c of concurrency) {
          const base = { part: 'A' as const, model: m.name, concurrency: c };
          // The binary request's bytes (what clinfer binary receives), answered with a fixed small JSON.
          await row(ctx, { ...base, system: 'http-floor', payload: { ...binary, check: json.check }, server: floor });
          await row(ctx, { ...base, system: 'thread-floor', payload: { ...binary, check: json.check }, server: threadFloor });
          const naiveRow = await row(ctx, { ...base, system: 'naive-express', payload: json, server: naive });
          const measured: HttpRow[] = [naiveRow];
          for (const [format, payload] of [['json', json], ['binary', binary]] as const) {
            const onRow = await row(ctx, { ...base, system: `clinfer-${format}`, batching: 'on', payload, server: on });
            const offRow = await row(ctx, { ...base, system: `clinfer-${format}`, batching: 'off', payload, server: off });
            if (!onRow.failed && !offRow.failed) onRow.onOverOff = onRow.itemsPerSec / offRow.itemsPerSec;
            measured.push(onRow, offRow);
          }
          relate(ctx, m.name, measured, naiveRow);
        }
      } finally {
        await ctx.stop(naive, floor, threadFloor);
      }
    }
  } finally {
    await ctx.stop(on, off);
  }
}
