/**
 * The entry of an inference worker thread: takes numbered tasks from the main thread (worker-thread.ts),
 * one at a time in arrival order, and answers each exactly once. Buffers of the answer travel in the
 * transfer list. `session.run` blocks this thread while ONNX Runtime executes: nothing here can stop it,
 * which is why the watchdog lives on the main thread (worker-pool.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { transferableSymbol, valueSymbol } from 'piscina';
import { workerErrorCode, type ReplyMessage, type TaskMessage } from './messages.js';
import { firstLine } from './session-factory.js';
import handle from './worker.js';

const port = parentPort!;
/** Set by the main thread when it gives this thread up (a run past its deadline): end at the next boundary. */
const abandoned = new Int32Array((workerData as { abandonFlag: SharedArrayBuffer }).abandonFlag);
let chain: Promise<void> = Promise.resolve();

port.on('message', (message: TaskMessage) => {
  chain = chain.then(() => {
    if (Atomics.load(abandoned, 0) === 1) process.exit(0);
    return run(message);
  }).then(() => {
    // process.exit in a worker thread ends this thread only, from JavaScript: safe, unlike terminate().
    if (Atomics.load(abandoned, 0) === 1) process.exit(0);
  });
});

async function run({ id, task }: TaskMessage): Promise<void> {
  let reply: ReplyMessage;
  let transfer: ArrayBuffer[] = [];
  try {
    const value = (await handle(task)) as Record<symbol, unknown> | undefined;
    // worker.ts marks a result whose buffers move (piscina's `move` wrapper): unwrap it here.
    if (value && typeof value === 'object' && valueSymbol in value) {
      transfer = (value[transferableSymbol] as ArrayBuffer[]) ?? [];
      reply = { id, ok: true, value: value[valueSymbol] };
    } else {
      reply = { id, ok: true, value };
    }
  } catch (error) {
    const code = workerErrorCode(error);
    reply = { id, ok: false, error: firstLine(error), ...(code ? { code } : {}) };
  }
  port.postMessage(reply, transfer);
}
