/**
 * Part D, a tiny model under many clients: microsoft/onnxjs's MNIST classifier (ORT format, a bare model
 * in the repository) at C=64, where what clinfer adds per request is everything. Naive server, HTTP
 * floor, clinfer JSON and binary (batching "off": the model's batch is fixed at 1, so clinfer serves it with
 * max_batch_size 0); the in-process limit at batch 1.
 */
import type { BenchContext } from './context.js';
import { clinferSpec } from './children.js';
import { relate, row } from './http-row.js';
import { measureRawLimits } from './in-process.js';
import { MNIST, binaryPayload, jsonPayload } from './models.js';
import { makeRepository } from './repository.js';

export async function runPartD(ctx: BenchContext): Promise<void> {
  const { workers, mnistConcurrency: c } = ctx.opts;
  ctx.log('D. in-process ONNX Runtime limit (mnist)');
  await measureRawLimits(ctx, MNIST, workers, 1, MNIST.batches, true);
  ctx.log(`D. mnist, C=${c}`);
  const [clinfer, naive, floor] = await Promise.all([
    ctx.start('clinfer-mnist', clinferSpec(makeRepository(ctx.tmp, 'repo-d', [MNIST]), [MNIST.name], workers, ctx.opts.maxInstancesPerModel)),
    ctx.start('naive-mnist', { kind: 'naive', modelPath: MNIST.modelPath }),
    ctx.start('floor-mnist', { kind: 'floor', output: MNIST.output, elements: MNIST.outputPerItem }),
  ]);
  try {
    const json = jsonPayload(MNIST);
    const binary = binaryPayload(MNIST);
    const base = { part: 'D' as const, model: MNIST.name, concurrency: c };
    await row(ctx, { ...base, system: 'http-floor', payload: { ...binary, check: json.check }, server: floor });
    const naiveRow = await row(ctx, { ...base, system: 'naive-express', payload: json, server: naive });
    const jsonRow = await row(ctx, { ...base, system: 'clinfer-json', batching: 'off', payload: json, server: clinfer });
    const binRow = await row(ctx, { ...base, system: 'clinfer-binary', batching: 'off', payload: binary, server: clinfer });
    relate(ctx, MNIST.name, [naiveRow, jsonRow, binRow], naiveRow);
  } finally {
    await ctx.stop(clinfer, naive, floor);
  }
}
