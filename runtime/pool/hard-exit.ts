/**
 * Ends the process when a worker thread is stuck inside ONNX Runtime. Node's process.exit (and the natural
 * end of the event loop) joins every worker thread first, and a thread inside a run that never returns
 * never joins: measured with onnxruntime-node 1.30, the process then hangs for ever (docs/isolation.md).
 * A signal's default action does not wait for threads, so the process sends itself SIGTERM with its
 * handlers removed: it ends at once, exit status 143 (128 + SIGTERM), as after an orchestrator's SIGTERM.
 * Callers answer what they hold (and flush logs: stdout and stderr writes are synchronous on Linux) first.
 */
export function exitHard(): void {
  process.removeAllListeners('SIGTERM');
  process.kill(process.pid, 'SIGTERM');
}
