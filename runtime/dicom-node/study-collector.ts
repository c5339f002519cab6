import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import type { DicomHeader } from '../../adapters/imaging/dicom/index.js';
import { backoffDelay, type BackoffPolicy } from '../pacs/backoff.js';

/** One instance in the inbox, with the header data that routes it. */
export interface CollectedInstance {
  readonly id: string;
  readonly path: string;
  readonly info: DicomInstanceInfo;
  /** The header read on arrival (info and where its elements lie, a few KiB): its decode does not parse the file again. */
  readonly header?: DicomHeader | undefined;
  /** Who sent it (counted with the inference requests); 'dicom:inbox' when collected from disk. */
  readonly caller: string;
}

/** What processing a settled study did: the instances done with (sent on, or set aside), and why it must run again. */
export interface StudyPass {
  readonly done: readonly string[];
  /** Set when some instances wait on a transient cause: the study runs again after a back-off. */
  readonly retry?: { readonly code: string } | undefined;
}

interface StudyState {
  readonly entries: Map<string, CollectedInstance>;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  /** Instances arrived while it ran: wait a settle time again rather than a back-off. */
  grew: boolean;
  attempt: number;
}

/**
 * Collects the instances of each study across associations and STOW-RS requests, and hands a study over
 * once it has been quiet for `settleMs` (each arrival restarts the wait; as Orthanc's StableStudy and MONAI
 * Deploy's grouping timeout). A study that must be tried again (a model not ready, a full queue) is handed
 * over again after a back-off; one that grows meanwhile waits a settle time first. Up to `maxRunning`
 * studies run at once, in the order they settled. The collection lives in memory; the instances themselves are in the
 * inbox, so a restart collects them again from there.
 */
export class StudyCollector {
  readonly #studies = new Map<string, StudyState>();
  readonly #settleMs: number;
  readonly #retry: BackoffPolicy;
  readonly #process: (studyInstanceUID: string, instances: CollectedInstance[], attempt: number) => Promise<StudyPass>;
  readonly #onChange: () => void;
  readonly #maxRunning: number;
  /** Settled studies waiting for a free slot, in the order they settled. */
  readonly #ready: string[] = [];
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(options: {
    settleMs: number; retry: BackoffPolicy;
    /** Studies processed at the same time (default 4); instances of one study never run twice at once. */
    maxRunning?: number;
    process: (studyInstanceUID: string, instances: CollectedInstance[], attempt: number) => Promise<StudyPass>;
    /** Called when the number of waiting instances changes (for the gauge). */
    onChange?: () => void;
  }) {
    this.#settleMs = options.settleMs;
    this.#retry = options.retry;
    this.#process = options.process;
    this.#onChange = options.onChange ?? (() => undefined);
    this.#maxRunning = options.maxRunning ?? 4;
  }

  /** Adds an instance (again: no effect) and restarts its study's settle time. */
  add(instance: CollectedInstance): void {
    if (this.#closed) return;
    const study = instance.info.studyInstanceUID;
    let state = this.#studies.get(study);
    if (!state) this.#studies.set(study, (state = { entries: new Map(), timer: undefined, running: false, grew: false, attempt: 0 }));
    if (state.entries.has(instance.id)) return;
    state.entries.set(instance.id, instance);
    this.#onChange();
    if (state.running) {
      state.grew = true;
      return;
    }
    this.#schedule(study, state, this.#settleMs);
  }

  has(id: string): boolean {
    for (const state of this.#studies.values()) if (state.entries.has(id)) return true;
    return false;
  }

  /** Instances waiting: settling, queued, running or waiting for a retry. */
  get pending(): number {
    let n = 0;
    for (const state of this.#studies.values()) n += state.entries.size;
    return n;
  }

  /** Stops handing studies over; resolves when those running have finished. What waits stays in the inbox. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const state of this.#studies.values()) clearTimeout(state.timer);
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  #schedule(study: string, state: StudyState, delayMs: number): void {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      state.running = true;
      this.#ready.push(study);
      this.#startReady();
    }, delayMs);
    state.timer.unref?.();
  }

  #startReady(): void {
    while (this.#running.size < this.#maxRunning && this.#ready.length > 0) {
      const study = this.#ready.shift()!;
      const state = this.#studies.get(study);
      if (!state) continue;
      const run = this.#run(study, state).finally(() => {
        this.#running.delete(run);
        this.#startReady();
      });
      this.#running.add(run);
    }
  }

  async #run(study: string, state: StudyState): Promise<void> {
    if (this.#closed) {
      state.running = false;
      return;
    }
    state.grew = false;
    const attempt = state.attempt;
    let pass: StudyPass;
    try {
      pass = await this.#process(study, [...state.entries.values()], attempt);
    } catch (error) {
      // The processor handles its own failures; anything left is retried like a transient one.
      pass = { done: [], retry: { code: error instanceof Error && 'code' in error ? String(error.code) : 'INTERNAL' } };
    }
    for (const id of pass.done) state.entries.delete(id);
    state.running = false;
    this.#onChange();
    if (this.#closed) return;
    if (state.entries.size === 0) {
      this.#studies.delete(study);
      return;
    }
    if (state.grew) {
      state.attempt = 0;
      this.#schedule(study, state, this.#settleMs);
    } else {
      state.attempt = pass.retry ? attempt + 1 : 0;
      this.#schedule(study, state, pass.retry ? backoffDelay(state.attempt, this.#retry) : this.#settleMs);
    }
  }
}
