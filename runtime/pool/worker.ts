/**
 * What a worker thread does with each task (worker-entry.ts is the thread's entry; the load probe's child
 * process runs the same `load`). Holds the ONNX Runtime sessions of the model versions it has served,
 * keyed by SessionSpec.key, creating them on first use: a replacement worker therefore serves at once.
 */
import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { crashWorkerThread } from './fault-hook.js';
import type { NumericArray } from '../tensor/datatypes.js';
import type { InferResult, LoadResult, SessionSpec, Task, TaskFault, WireTensor } from './messages.js';
import { createRunner, type ModelRunner } from './model-runner.js';
import { runWarmup } from './warmup.js';

interface Loaded {
  /** One session, or a pipeline's sessions run in order (model-runner.ts). */
  runner: ModelRunner;
  result: LoadResult;
}

const sessions = new Map<string, Promise<Loaded>>();

export default async function handle(task: Task): Promise<unknown> {
  switch (task.kind) {
    case 'load': {
      const loaded = await ensureLoaded(task.spec);
      return loaded.result;
    }
    case 'unload': {
      const entry = sessions.get(task.key);
      sessions.delete(task.key);
      if (entry) await entry.then((l) => l.runner.release()).catch(() => undefined);
      return { threadId };
    }
    case 'infer':
      return infer(task.spec, task.feeds, task.fetches, task.fault);
  }
}

function ensureLoaded(spec: SessionSpec): Promise<Loaded> {
  let entry = sessions.get(spec.key);
  if (!entry) {
    entry = load(spec);
    sessions.set(spec.key, entry);
    entry.catch(() => sessions.delete(spec.key));
  }
  return entry;
}

async function load(spec: SessionSpec): Promise<Loaded> {
  const started = performance.now();
  const runner = await createRunner(spec);
  const { inputs, outputs, provider, fallbacks } = runner;
  const loadMs = performance.now() - started;
  const { warmupMs, warmupError } = await runWarmup(spec.warmup, inputs, outputs, async (feeds, fetches) => {
    const results = await runner.run(toOrtFeeds(feeds), fetches);
    for (const t of new Set(Object.values(results))) t.dispose();
  }, (path) => readFileSync(path));
  const result: LoadResult = {
    threadId, inputs, outputs, provider, fallbacks, loadMs, warmupMs,
    ...(warmupError ? { warmupError } : {}),
  };
  return { runner, result };
}

async function infer(spec: SessionSpec, feeds: WireTensor[], fetches: string[], fault?: TaskFault) {
  const { runner } = await ensureLoaded(spec);
  // Test-only fault hook (fault-hook.ts): die holding the batch, never while session.run executes.
  crashWorkerThread(fault, 'crash-before-run');
  const started = performance.now();
  const results = await runner.run(toOrtFeeds(feeds), fetches);
  const computeMs = performance.now() - started;
  const outputs: WireTensor[] = fetches.map((name) => {
    const t = results[name]!;
    // Copy out of ONNX Runtime's buffer so the result owns a plain, transferable ArrayBuffer.
    const data = t.type === 'string' ? [...(t.data as string[])] : (t.data as Float32Array).slice();
    return { name, type: t.type as WireTensor['type'], dims: [...t.dims], data };
  });
  for (const t of new Set(Object.values(results))) t.dispose();
  crashWorkerThread(fault, 'crash-after-run');
  const value: InferResult = { outputs, computeMs, threadId };
  const transfer = outputs.flatMap((o) => (Array.isArray(o.data) ? [] : [o.data.buffer]));
  return move({ [transferableSymbol]: transfer, [valueSymbol]: value } as never);
}

function toOrtFeeds(feeds: WireTensor[]): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const f of feeds) {
    // Shared memory (the HTTP body, read in place): ONNX Runtime refuses it, so it is copied here, off the
    // main thread.
    const data = f.rest ? joinParts(f.data as NumericArray, f.rest)
      : !Array.isArray(f.data) && f.data.buffer instanceof SharedArrayBuffer ? f.data.slice() : f.data;
    out[f.name] = new ort.Tensor(f.type as never, data as never, f.dims);
  }
  return out;
}

/** A batch merged here rather than on the main thread (WireTensor.rest): one copy, as for a lone shared view. */
function joinParts(first: NumericArray, rest: readonly NumericArray[]): NumericArray {
  const length = rest.reduce((n, v) => n + v.length, first.length);
  const out = new (first.constructor as new (length: number) => NumericArray)(length);
  (out as Float32Array).set(first as Float32Array, 0);
  let offset = first.length;
  for (const v of rest) {
    (out as Float32Array).set(v as Float32Array, offset);
    offset += v.length;
  }
  return out;
}
