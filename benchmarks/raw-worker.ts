/**
 * Worker thread of the raw ONNX Runtime baseline: one session (intraOpNumThreads 1, the options
 * clinfer's workers use), running the batch-1 requests the main thread posts to it.
 * onnxruntime-node runs a session synchronously on the calling thread, so sessions only run in
 * parallel from different threads; this is the least machinery that lets two sessions use two cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface RawWorkerData {
  readonly modelPath: string;
  readonly input: string;
  readonly output: string;
  readonly dims: readonly number[];
}

export type RawWorkerReply = { kind: 'ready' } | { kind: 'done'; id: number; output: Float32Array; computeMs: number } | { kind: 'error'; id: number; message: string };

const data = workerData as RawWorkerData;
const port = parentPort!;
// No top-level await: in a worker thread tsx only hooks require(), which compiles this file to CommonJS.
void ort.InferenceSession.create(data.modelPath, {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
}).then((session) => {
  port.on('message', async (msg: { id: number; input: Float32Array }) => {
    try {
      const started = performance.now();
      const results = await session.run({ [data.input]: new ort.Tensor('float32', msg.input, [...data.dims]) }, [data.output]);
      const computeMs = performance.now() - started;
      const output = (results[data.output]!.data as Float32Array).slice();
      for (const t of Object.values(results)) t.dispose();
      port.postMessage({ kind: 'done', id: msg.id, output, computeMs } satisfies RawWorkerReply, [output.buffer]);
    } catch (error) {
      port.postMessage({ kind: 'error', id: msg.id, message: error instanceof Error ? error.message : String(error) } satisfies RawWorkerReply);
    }
  });
  port.postMessage({ kind: 'ready' } satisfies RawWorkerReply);
});
