/**
 * Worker thread of the in-process ONNX Runtime limit: one session (intraOpNumThreads as clinfer's
 * workers use them), running batches of B copies of the sample back to back for a given time.
 * No HTTP, no JSON, no validation, no dispatch: the most images per second onnxruntime-node can do.
 * onnxruntime-node runs a session on the calling thread, so sessions only overlap from different
 * threads: N sessions = N of these workers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface RawWorkerData {
  readonly modelPath: string;
  readonly input: string;
  readonly output: string;
  /** Dimensions of one item, without the batch dimension. */
  readonly itemDims: readonly number[];
  /** Output elements per item. */
  readonly outputPerItem: number;
  /** One item's input values. */
  readonly sample: Float32Array;
  readonly intraOpThreads: number;
}

export interface RawLoop {
  readonly kind: 'loop';
  readonly batch: number;
  readonly warmupMs: number;
  readonly ms: number;
}

/** One item, run at once (the thread floor server, thread-floor-server.ts): its output comes back. */
export interface RawOne {
  readonly kind: 'one';
  readonly id: number;
  readonly values: Float32Array;
}

export type RawWorkerReply =
  | { kind: 'ready' }
  | { kind: 'one'; id: number; output: Float32Array }
  | { kind: 'loop'; runs: number; elapsedMs: number; latencies: Float64Array }
  | { kind: 'error'; message: string };

const data = workerData as RawWorkerData;
const port = parentPort!;

async function loop(session: ort.InferenceSession, msg: RawLoop): Promise<RawWorkerReply> {
  const values = new Float32Array(msg.batch * data.sample.length);
  for (let b = 0; b < msg.batch; b++) values.set(data.sample, b * data.sample.length);
  const dims = [msg.batch, ...data.itemDims];
  const once = async () => {
    const results = await session.run({ [data.input]: new ort.Tensor('float32', values, dims) }, [data.output]);
    const n = (results[data.output]!.data as Float32Array).length;
    for (const t of Object.values(results)) t.dispose();
    return n;
  };
  const n = await once();
  if (n !== msg.batch * data.outputPerItem) throw new Error(`output holds ${n} elements, expected ${msg.batch * data.outputPerItem}`);
  const warmEnd = performance.now() + msg.warmupMs;
  while (performance.now() < warmEnd) await once();
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + msg.ms;
  do {
    const t0 = performance.now();
    await once();
    latencies.push(performance.now() - t0);
  } while (performance.now() < end);
  const elapsedMs = performance.now() - started;
  return { kind: 'loop', runs: latencies.length, elapsedMs, latencies: Float64Array.from(latencies) };
}

// No top-level await: in a worker thread tsx only hooks require(), which compiles this file to CommonJS.
void ort.InferenceSession.create(data.modelPath, {
  executionProviders: ['cpu'],
  intraOpNumThreads: data.intraOpThreads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
}).then((session) => {
  const dims = [1, ...data.itemDims];
  port.on('message', (msg: RawLoop | RawOne) => {
    if (msg.kind === 'one') {
      session.run({ [data.input]: new ort.Tensor('float32', msg.values, dims) }, [data.output]).then((results) => {
        const output = (results[data.output]!.data as Float32Array).slice();
        for (const t of Object.values(results)) t.dispose();
        port.postMessage({ kind: 'one', id: msg.id, output } satisfies RawWorkerReply, [output.buffer]);
      }, (error: unknown) => port.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) } satisfies RawWorkerReply));
      return;
    }
    loop(session, msg).then(
      (reply) => port.postMessage(reply, reply.kind === 'loop' ? [reply.latencies.buffer as ArrayBuffer] : []),
      (error: unknown) => port.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) } satisfies RawWorkerReply),
    );
  });
  port.postMessage({ kind: 'ready' } satisfies RawWorkerReply);
}, (error: unknown) => port.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) } satisfies RawWorkerReply));
