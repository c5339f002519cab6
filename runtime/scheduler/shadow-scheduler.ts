import type { AuditLog } from '../audit/audit-log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { TensorValues } from '../tensor/datatypes.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ScheduledRequest, ScheduledResult, Scheduler } from './scheduler.js';

export interface ShadowTarget {
  readonly model: string;
  readonly servingVersion: string;
  readonly candidateVersion: string;
  readonly candidate: Scheduler;
  /** classification: compare the arg-max of each row; otherwise the mean absolute difference. */
  readonly compare: 'argmax' | 'difference';
}

/**
 * Shadow mode: every request is answered by the serving version as usual, and a copy of it also runs on
 * the candidate, at the lowest priority, after the answer is on its way. The candidate's result is
 * compared and recorded (metrics, audit), never returned; its failure never affects the caller.
 */
export class ShadowScheduler implements Scheduler {
  readonly #primary: Scheduler;
  readonly #target: ShadowTarget;
  readonly #metrics: Metrics;
  readonly #audit: AuditLog | undefined;

  constructor(primary: Scheduler, target: ShadowTarget, metrics: Metrics, audit: AuditLog | undefined) {
    this.#primary = primary;
    this.#target = target;
    this.#metrics = metrics;
    this.#audit = audit;
  }

  get inflightCount(): number {
    return this.#primary.inflightCount;
  }

  async enqueue(request: ScheduledRequest): Promise<ScheduledResult> {
    // The primary's input buffers move to a worker thread: the shadow gets its own copy first.
    const copy = request.inputs.map(cloneTensor);
    const result = await this.#primary.enqueue(request);
    const primaryOutputs = result.outputs.map(cloneTensor);
    void this.#shadow({ inputs: copy, fetches: request.fetches, priority: Number.MAX_SAFE_INTEGER, timeoutMs: undefined }, primaryOutputs);
    return result;
  }

  stop(): Promise<void> {
    return this.#primary.stop();
  }

  async #shadow(request: ScheduledRequest, expected: Tensor[]): Promise<void> {
    const labels = { model: this.#target.model, version: this.#target.servingVersion, candidate_version: this.#target.candidateVersion };
    let outcome: string;
    try {
      const shadow = await this.#target.candidate.enqueue(request);
      const a = expected[0]!;
      const b = shadow.outputs.find((o) => o.name === a.name);
      if (!b) throw new Error('missing output');
      if (this.#target.compare === 'argmax') {
        const rows = a.shape[0] ?? 1;
        let agree = 0;
        for (let r = 0; r < rows; r++) if (argmaxRow(a, r, rows) === argmaxRow(b, r, rows)) agree++;
        this.#metrics.shadowComparisons.inc({ ...labels, result: 'agree' }, agree);
        this.#metrics.shadowComparisons.inc({ ...labels, result: 'disagree' }, rows - agree);
        outcome = agree === rows ? 'agree' : 'disagree';
      } else {
        const diff = meanAbsDifference(a.data, b.data);
        this.#metrics.shadowDifference.observe(labels, diff);
        this.#metrics.shadowComparisons.inc({ ...labels, result: 'compared' });
        outcome = `mean_abs_difference ${diff.toPrecision(4)}`;
      }
    } catch {
      this.#metrics.shadowComparisons.inc({ ...labels, result: 'failed' });
      outcome = 'failed';
    }
    void this.#audit?.tryAppend({ action: 'shadow', caller: 'clinfer', model: this.#target.model, version: this.#target.candidateVersion, outcome });
  }
}

function cloneTensor(t: Tensor): Tensor {
  const data: TensorValues = Array.isArray(t.data) ? t.data.map((b) => b.slice()) : (t.data as Float32Array).slice();
  return { ...t, data };
}

function argmaxRow(t: Tensor, row: number, rows: number): number {
  const width = t.data.length / rows;
  let best = 0;
  for (let i = 1; i < width; i++) if (Number(t.data[row * width + i]) > Number(t.data[row * width + best])) best = i;
  return width === 1 ? (Number(t.data[row]) >= 0.5 ? 1 : 0) : best;
}

function meanAbsDifference(a: TensorValues, b: TensorValues): number {
  if (Array.isArray(a) || Array.isArray(b) || a.length !== b.length || a.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(Number(a[i]) - Number(b[i]));
  return sum / a.length;
}
