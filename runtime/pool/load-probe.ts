import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClinferError } from '../errors/index.js';
import { moduleExecArgv, siblingModule } from '../util/own-files.js';
import type { LoadResult, SessionSpec, WorkerErrorCode } from './messages.js';

const CHILD = fileURLToPath(siblingModule(import.meta.url, 'load-probe-child'));

/**
 * Loads and warms up a model version in a disposable child process before any worker thread sees it
 * (config `loadIsolation: 'process'`). A process, unlike a thread, can be killed while ONNX Runtime runs:
 * a model whose load or warm-up never ends (a Loop that never stops) is killed at `timeoutMs` and never
 * reaches the shared threads; one that crashes ONNX Runtime crashes the probe, not the server.
 *
 * Resolves with the probe's report (the caller still loads the threads, whose reports it uses); rejects
 * with BUNDLE_INVALID (timeout, crash) or INFERENCE_FAILED (ONNX Runtime refused the model).
 */
export function probeLoad(spec: SessionSpec, timeoutMs: number, what: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      execArgv: moduleExecArgv(),
      env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let settled = false;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { if (stderr.length < 2000) stderr += chunk.toString('utf8'); });
    const finish = (error: Error | undefined, result?: LoadResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (error) reject(error);
      else resolve(result!);
    };
    const timer = setTimeout(() => finish(new ClinferError('BUNDLE_INVALID', `${what}: loading and warm-up took longer than ${timeoutMs} ms (loadTimeoutMs); the load was stopped`)), timeoutMs);
    // A probe never holds the server's process open (a SIGTERM during a load exits within the grace
    // period); the child ends itself once its parent is gone (load-probe-child.ts).
    timer.unref();
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    child.on('message', (reply: { ok: true; result: LoadResult } | { ok: false; error: string; code?: WorkerErrorCode }) => {
      if (reply.ok) finish(undefined, reply.result);
      else if (reply.code === 'BUNDLE_INVALID') finish(new ClinferError('BUNDLE_INVALID', reply.error));
      else finish(new ClinferError('INFERENCE_FAILED', `ONNX Runtime failed: ${reply.error}`));
    });
    child.on('error', (error) => finish(new ClinferError('BUNDLE_INVALID', `${what}: the load probe process could not run (${error.message.slice(0, 120)})`)));
    child.on('exit', (code, signal) => {
      const last = stderr.trim().split('\n').at(-1)?.slice(0, 200) ?? '';
      finish(new ClinferError('BUNDLE_INVALID', `${what}: loading the model ended its process (${signal ?? `exit code ${code}`})${last ? `: ${last}` : ''}`));
    });
    child.send(spec);
  });
}
