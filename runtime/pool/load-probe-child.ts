/**
 * The disposable process of a load probe (load-probe.ts): loads and warms up one model version exactly
 * as a worker thread would (worker.ts), answers the outcome, and exits. Killed by its parent (SIGKILL)
 * when the load timeout passes: unlike a worker thread, a process can be stopped inside ONNX Runtime.
 */
import { Worker } from 'node:worker_threads';
import { workerErrorCode, type SessionSpec } from './messages.js';
import { firstLine } from './session-factory.js';
import handle from './worker.js';

// The parent may die without killing this process (kill -9 during a deploy), while this thread is blocked
// inside a run that never ends, where no 'disconnect' handler can run. A small thread of its own watches
// the parent and ends the process by signal (process.exit would wait for the blocked thread).
new Worker(
  `const { workerData } = require('node:worker_threads');
   setInterval(() => { if (process.ppid !== workerData.parent) process.kill(process.pid, 'SIGKILL'); }, 250);`,
  { eval: true, execArgv: [], workerData: { parent: process.ppid } },
).unref();

process.once('message', (spec: SessionSpec) => {
  void handle({ kind: 'load', spec }).then(
    (result) => process.send!({ ok: true, result }, () => process.exit(0)),
    (error: unknown) => process.send!({ ok: false, error: firstLine(error), code: workerErrorCode(error) }, () => process.exit(0)),
  );
});
process.on('disconnect', () => process.exit(0));
