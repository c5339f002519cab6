/**
 * TEST-ONLY fault injection for the worker pool: makes a worker thread die while it holds a batch, so
 * that tests can check what clinfer does then (retry once, answer, replace the worker). Production never
 * arms it: it needs BOTH of
 *
 *   - CLINFER_TEST_FAULTS set (documented nowhere but here: it is not a setting), and
 *   - NODE_ENV=test, or VITEST set (vitest sets it in every test process).
 *
 * CLINFER_TEST_FAULTS set without either is ignored, with a process warning saying so.
 *
 * Syntax: one or more directives separated by commas.
 *
 *   crash-on-batch:<model>[/<version>]:<n>[:after]
 *
 * The n-th inference batch (1-based) that the pool hands out for that model, counted across all workers
 * and including retries, makes the worker thread that receives it exit at once (`process.exit` inside the
 * thread: only that thread ends; piscina sees "worker exited with code: 70"). `*` instead of n: every
 * batch of that model. By default the worker dies after taking the task and before `session.run`;
 * `:after` makes it die after `session.run` returned, before answering. Never during `session.run`:
 * terminating a thread while ONNX Runtime executes in it aborts the whole process (onnxruntime-node).
 *
 *   CLINFER_TEST_FAULTS=crash-on-batch:heart:1          the first batch of model 'heart' crashes its worker
 *   CLINFER_TEST_FAULTS=crash-on-batch:heart/1:*:after  every batch of heart version 1, after the run
 *
 * The main thread reads the variable once, when the WorkerPool is constructed, and marks the chosen task
 * (`fault` on the infer task); the worker obeys the mark only after checking the same gate itself.
 */
import { isMainThread } from 'node:worker_threads';
import type { SessionSpec, TaskFault } from './messages.js';

/** The exit code of a worker thread killed by the hook (EX_SOFTWARE). */
export const FAULT_EXIT_CODE = 70;

/** True only in a test process: NODE_ENV=test, or vitest's VITEST variable. */
export function testFaultsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === 'test' || (env.VITEST !== undefined && env.VITEST !== '' && env.VITEST !== 'false');
}

interface Directive {
  readonly model: string;
  readonly version: string | undefined;
  /** undefined: every batch. */
  readonly nth: number | undefined;
  readonly fault: TaskFault;
  seen: number;
}

/** The armed directives of CLINFER_TEST_FAULTS (main thread). */
export class TestFaults {
  readonly #directives: Directive[];

  private constructor(directives: Directive[]) {
    this.#directives = directives;
  }

  /** undefined unless CLINFER_TEST_FAULTS is set in a test process; throws on a malformed value. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): TestFaults | undefined {
    const value = env.CLINFER_TEST_FAULTS;
    if (!value) return undefined;
    if (!testFaultsAllowed(env)) {
      process.emitWarning('CLINFER_TEST_FAULTS is ignored: fault injection is for tests only (it also needs NODE_ENV=test or VITEST)', { code: 'CLINFER_TEST_FAULTS_IGNORED' });
      return undefined;
    }
    return new TestFaults(value.split(',').map((d) => parseDirective(d.trim())));
  }

  /** Called for every infer task: the fault this batch must suffer, if any. */
  next(spec: SessionSpec): TaskFault | undefined {
    const { name, version } = modelOf(spec.key);
    let fault: TaskFault | undefined;
    for (const d of this.#directives) {
      if (d.model !== name || (d.version !== undefined && d.version !== version)) continue;
      d.seen++;
      if (d.nth === undefined || d.nth === d.seen) fault ??= d.fault;
    }
    return fault;
  }
}

function parseDirective(text: string): Directive {
  const m = /^crash-on-batch:([^:/]+)(?:\/([^:]+))?:(\d+|\*)(?::(before|after))?$/.exec(text);
  if (!m || m[3] === '0') {
    throw new Error(`CLINFER_TEST_FAULTS: cannot read '${text}'; expected crash-on-batch:<model>[/<version>]:<n>|*[:after] (n from 1)`);
  }
  return { model: m[1]!, version: m[2], nth: m[3] === '*' ? undefined : Number(m[3]), fault: m[4] === 'after' ? 'crash-after-run' : 'crash-before-run', seen: 0 };
}

/** SessionSpec.key is `<name>/<version>#<generation>`. */
function modelOf(key: string): { name: string; version: string } {
  const base = key.includes('#') ? key.slice(0, key.lastIndexOf('#')) : key;
  const slash = base.lastIndexOf('/');
  return slash < 0 ? { name: base, version: '' } : { name: base.slice(0, slash), version: base.slice(slash + 1) };
}

/**
 * Worker side: ends this worker thread at once, holding its task. Does nothing (the task runs normally)
 * outside a test process or on the main thread, whatever the task says.
 */
export function crashWorkerThread(fault: TaskFault | undefined, when: TaskFault): void {
  if (fault !== when || isMainThread || !testFaultsAllowed()) return;
  // In a worker thread process.exit stops this thread only; the pool sees the worker exit.
  process.exit(FAULT_EXIT_CODE);
}
