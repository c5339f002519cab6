/**
 * The disposable process of a load probe (load-probe.ts): loads and warms up one model version exactly
 * as a worker thread would (worker.ts), answers the outcome, and exits. Killed by its parent (SIGKILL)
 * when the load timeout passes: unlike a worker thread, a process can be stopped inside ONNX Runtime.
 */
import type { SessionSpec } from './messages.js';
import { firstLine } from './session-factory.js';
import handle from './worker.js';

process.once('message', (spec: SessionSpec) => {
  void handle({ kind: 'load', spec }).then(
    (result) => process.send!({ ok: true, result }, () => process.exit(0)),
    (error: unknown) => process.send!({ ok: false, error: firstLine(error) }, () => process.exit(0)),
  );
});
process.on('disconnect', () => process.exit(0));
