import { ClinferError } from '../errors/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ModelConfig } from '../model/model-config.js';
import type { SequenceSpec } from '../model/sequence-spec.js';
import type { ScheduledRequest, ScheduledResult, Scheduler, SequenceFlags } from './scheduler.js';
import { checkCorrelationId, controlTensors, initialState, stateTensors, takeState, type SequenceState } from './sequence-tensors.js';

interface Waiting {
  readonly request: ScheduledRequest;
  readonly flags: SequenceFlags;
  resolve(result: ScheduledResult): void;
  reject(error: unknown): void;
}

interface LiveSequence {
  /** Requests of this sequence not yet started, in arrival order. */
  readonly waiting: Waiting[];
  running: boolean;
  /** Undefined until the sequence's start request runs. */
  state: SequenceState | undefined;
  /** A request with sequence_end was answered: only a new start may follow. */
  ended: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

/** How many freed ids are remembered, only to say why a later request finds none. */
const REMEMBERED_IDS = 1024;

/**
 * Triton's sequence batcher with implicit state, one per version of a model whose bundle declares
 * `sequence`, in front of the version's DynamicBatcher.
 *
 * - Each request names its sequence (`sequence_id`); the first carries `sequence_start`, which starts
 *   the state from the bundle's initial value (zeros by default); a start for a live id restarts it.
 *   A request for an id that is not live and has no start is refused SEQUENCE_NOT_FOUND.
 * - A sequence's requests run one at a time, in arrival order: the next one is handed on only once the
 *   previous one is answered and its state outputs have become the sequence's state. The client never
 *   sends or receives the state; clinfer adds the state and control inputs and removes the state outputs.
 * - Requests of different sequences go to the DynamicBatcher independently, which stacks them into one
 *   batch (one row each) when the model batches (max_batch_size > 0) and they queue together; queue
 *   policy, priorities, timeouts and worker retries are the DynamicBatcher's.
 * - A failed request leaves the state as it was before it (a failed start: the initial state).
 * - A request with `sequence_end` frees the state once answered. A sequence with no request for
 *   `idle_timeout_ms` after its last answer is freed. At most `max_sequences` are live: a new one beyond
 *   is refused SEQUENCE_LIMIT (429).
 *
 * State lives on the main thread, a Float32Array per state per sequence. Contract: every enqueued
 * request settles exactly once.
 */
export class SequenceBatcher implements Scheduler {
  readonly #inner: Scheduler;
  readonly #spec: SequenceSpec;
  readonly #what: string;
  readonly #batched: boolean;
  readonly #metrics: Metrics;
  readonly #labels: { model: string; version: string };
  readonly #live = new Map<string, LiveSequence>();
  /** Ids freed by the idle timeout, oldest first (insertion order), for the refusal's message. */
  readonly #expired = new Set<string>();
  #inflight = 0;
  #stopped = false;
  #drained: (() => void) | undefined;

  constructor(model: ModelConfig & { sequence: SequenceSpec }, inner: Scheduler, metrics: Metrics) {
    this.#inner = inner;
    this.#metrics = metrics;
    this.#labels = { model: model.name, version: model.version };
    this.#spec = model.sequence;
    this.#what = `model '${model.name}' version ${model.version}`;
    this.#batched = model.maxBatchSize > 0;
  }

  get inflightCount(): number {
    return this.#inflight;
  }

  /** Sequences holding state (or about to): for tests and metrics. */
  get liveCount(): number {
    return this.#live.size;
  }

  enqueue(request: ScheduledRequest): Promise<ScheduledResult> {
    try {
      const flags = this.#check(request);
      const key = typeof flags.id === 'number' ? `#${flags.id}` : `'${flags.id}`;
      let sequence = this.#live.get(key);
      if (!sequence) {
        if (!flags.start) throw this.#notFound(key, flags.id);
        if (this.#live.size >= this.#spec.maxSequences) {
          this.#metrics.rejections.inc({ ...this.#labels, reason: 'sequence_limit' });
          throw new ClinferError('SEQUENCE_LIMIT', `${this.#what} holds ${this.#live.size} live sequences (max_sequences ${this.#spec.maxSequences}); end one (sequence_end) or retry once an idle one is freed (idle_timeout_ms ${this.#spec.idleTimeoutMs})`, { retryAfterSeconds: Math.max(1, Math.ceil(this.#spec.idleTimeoutMs / 1000)) });
        }
        sequence = { waiting: [], running: false, state: undefined, ended: false, idleTimer: undefined };
        this.#live.set(key, sequence);
        this.#expired.delete(key);
        this.#metrics.liveSequences.set(this.#labels, this.#live.size);
      }
      clearTimeout(sequence.idleTimer);
      sequence.idleTimer = undefined;
      const live = sequence;
      return new Promise<ScheduledResult>((resolve, reject) => {
        this.#inflight++;
        live.waiting.push({ request, flags, resolve, reject });
        this.#next(key, live);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#inflight > 0) await new Promise<void>((resolve) => { this.#drained = resolve; });
    for (const sequence of this.#live.values()) clearTimeout(sequence.idleTimer);
    this.#live.clear();
    this.#metrics.liveSequences.remove(this.#labels);
    await this.#inner.stop();
  }

  #check(request: ScheduledRequest): SequenceFlags {
    if (this.#stopped) throw new ClinferError('MODEL_NOT_READY', `${this.#what} is unloading`);
    const flags = request.sequence;
    if (!flags) throw new ClinferError('INVALID_PARAMETER', `${this.#what} is stateful: every request needs parameter 'sequence_id'`);
    checkCorrelationId(this.#spec, this.#what, flags);
    const rows = request.inputs[0]?.shape[0];
    if (this.#batched && rows !== 1) {
      throw new ClinferError('INVALID_INPUT', `input '${request.inputs[0]?.name}': a request of a sequence carries one row (batch dimension 1), got ${rows}`);
    }
    return flags;
  }

  #notFound(key: string, id: number | string): ClinferError {
    const why = this.#expired.has(key)
      ? `it had no request for idle_timeout_ms (${this.#spec.idleTimeoutMs} ms) and was freed`
      : 'it was never started, or was ended (sequence_end) or freed';
    // The id itself is not repeated: it may name a patient or a bed, and messages reach logs.
    return new ClinferError('SEQUENCE_NOT_FOUND', `${this.#what}: the ${typeof id === 'number' ? 'numeric' : 'string'} sequence_id is not a live sequence (${why}); send its first request with sequence_start: true`);
  }

  /** Hands the sequence's oldest waiting request on, if none of its requests is running. */
  #next(key: string, sequence: LiveSequence): void {
    if (sequence.running) return;
    const entry = sequence.waiting.shift();
    if (!entry) {
      if (sequence.ended) this.#free(key, 'end');
      else sequence.idleTimer = setTimeout(() => this.#expire(key, sequence), this.#spec.idleTimeoutMs).unref();
      return;
    }
    if (entry.flags.start) {
      sequence.state = initialState(this.#spec);
      sequence.ended = false;
    }
    if (sequence.ended || !sequence.state) {
      this.#settle(entry, undefined, this.#notFound(key, entry.flags.id));
      this.#next(key, sequence);
      return;
    }
    sequence.running = true;
    const { request, flags } = entry;
    const inputs = [...request.inputs, ...stateTensors(this.#spec, sequence.state), ...controlTensors(this.#spec, flags)];
    const fetches = [...request.fetches, ...this.#spec.states.map((s) => s.output)];
    this.#inner.enqueue({ ...request, inputs, fetches }).then((result) => {
      const { state, outputs } = takeState(this.#spec, this.#what, result.outputs);
      sequence.state = state;
      if (flags.end) sequence.ended = true;
      this.#settle(entry, { ...result, outputs });
    }).catch((error: unknown) => this.#settle(entry, undefined, error)).finally(() => {
      sequence.running = false;
      this.#next(key, sequence);
    });
  }

  #settle(entry: Waiting, result: ScheduledResult | undefined, error?: unknown): void {
    if (result) entry.resolve(result);
    else entry.reject(error);
    this.#inflight--;
    if (this.#inflight === 0) this.#drained?.();
  }

  #free(key: string, reason: 'end' | 'idle_timeout'): void {
    this.#live.delete(key);
    this.#metrics.liveSequences.set(this.#labels, this.#live.size);
    this.#metrics.sequencesFreed.inc({ ...this.#labels, reason });
  }

  #expire(key: string, sequence: LiveSequence): void {
    if (this.#live.get(key) !== sequence || sequence.running || sequence.waiting.length > 0) return;
    this.#free(key, 'idle_timeout');
    this.#expired.add(key);
    if (this.#expired.size > REMEMBERED_IDS) this.#expired.delete(this.#expired.values().next().value!);
  }
}
