import * as ort from 'onnxruntime-node';
import type { Scheduler } from './scheduler.js';

/**
 * One ONNX Runtime session in this thread behind the Scheduler interface, for command-line tools that run a
 * model with the server's prediction code but without its pool (`clinfer bundle validate`, `clinfer validate`):
 * each request runs at once, in order; FP32 inputs only (what those tools feed).
 */
export function sessionScheduler(session: ort.InferenceSession): Scheduler {
  return {
    inflightCount: 0,
    stop: async () => undefined,
    enqueue: async (request) => {
      const feeds = Object.fromEntries(request.inputs.map((t) => [t.name, new ort.Tensor('float32', t.data as Float32Array, [...t.shape])]));
      const result = await session.run(feeds, [...request.fetches]);
      const outputs = request.fetches.map((name) => {
        const t = result[name]!;
        return { name, datatype: t.type === 'float64' ? ('FP64' as const) : ('FP32' as const), shape: [...t.dims], data: t.data as Float32Array };
      });
      return { outputs, queueSeconds: 0, computeSeconds: 0, batchSize: 1 };
    },
  };
}
