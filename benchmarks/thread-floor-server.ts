/**
 * The thread floor: the least a server can do per request while keeping ONNX Runtime off its event loop,
 * as clinfer does (a model that hangs must not stall the server). node:http reads the binary OIP request,
 * copies the tensor bytes out, and a worker thread with its own session (intraOpNumThreads 1, as
 * clinfer's) runs it and sends the output back; the answer is OIP JSON. No parsing beyond the header
 * length, no validation, no batching, no metrics, no audit, no timeouts: a bound, not a server. The gap
 * from the HTTP floor to this is what the hop to a thread and back costs here (two thread wake-ups).
 */
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import { closeHttpServer, listenOnLoopback, type NaiveServer } from './naive-server.js';
import type { RawWorkerData, RawWorkerReply } from './raw-worker.js';

/** What the worker threads need of a model (raw-worker.ts; a run/models.ts TensorModel has it). */
export type ThreadFloorModel = Omit<RawWorkerData, 'intraOpThreads'>;

export async function startThreadFloorServer(model: ThreadFloorModel, threads: number, tsx: string): Promise<NaiveServer> {
  const data: RawWorkerData = { ...model, intraOpThreads: 1 };
  // raw-worker-entry.cjs requires raw-worker.ts (a worker thread cannot start from a .ts file).
  const entry = new URL('./raw-worker-entry.cjs', import.meta.url);
  const workers = Array.from({ length: Math.max(1, threads) }, () => new Worker(entry, { workerData: data, execArgv: ['--import', tsx] }));
  await Promise.all(workers.map((w) => new Promise<void>((ok, no) => {
    w.once('message', (m: RawWorkerReply) => (m.kind === 'ready' ? ok() : no(new Error(m.kind === 'error' ? m.message : 'unexpected reply'))));
    w.once('error', no);
  })));
  const idle = [...workers];
  const waiting: { values: Float32Array; answer: (output: Float32Array | Error) => void }[] = [];
  const pending = new Map<number, (output: Float32Array | Error) => void>();
  let nextId = 0;
  const dispatch = (w: Worker, job: (typeof waiting)[number]) => {
    const id = nextId++;
    pending.set(id, job.answer);
    w.postMessage({ kind: 'one', id, values: job.values }, [job.values.buffer as ArrayBuffer]);
  };
  for (const w of workers) {
    w.on('message', (m: RawWorkerReply) => {
      if (m.kind === 'one') {
        pending.get(m.id)?.(m.output);
        pending.delete(m.id);
      } else if (m.kind === 'error') {
        for (const [id, answer] of pending) {
          answer(new Error(m.message));
          pending.delete(id);
        }
      }
      const next = waiting.shift();
      if (next) dispatch(w, next);
      else idle.push(w);
    });
  }
  const elements = model.sample.length;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headerLength = Number(req.headers['inference-header-content-length']);
      if (!(headerLength >= 0) || body.byteLength - headerLength !== elements * 4) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`expected a binary OIP request with ${elements} FP32 values`);
        return;
      }
      const values = new Float32Array(elements);
      new Uint8Array(values.buffer).set(body.subarray(headerLength));
      const answer = (output: Float32Array | Error) => {
        if (output instanceof Error) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(output.message);
          return;
        }
        const json = JSON.stringify({ model_name: 'thread-floor', outputs: [{ name: model.output, datatype: 'FP32', shape: [1, model.outputPerItem], data: Array.from(output) }] });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
      };
      const w = idle.pop();
      if (w) dispatch(w, { values, answer });
      else waiting.push({ values, answer });
    });
  });
  return {
    url: await listenOnLoopback(server),
    async close() {
      await closeHttpServer(server);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
