import { ClinferError } from '../errors/index.js';
import type { SchedulerFactory } from '../scheduler/scheduler-factory.js';
import type { ModelVersion } from './model-version.js';

export interface Candidate {
  readonly version: string;
  readonly mode: 'shadow' | 'canary';
  /** canary: the share of requests without an explicit version that the candidate answers. */
  readonly percent: number;
}

/**
 * The candidate version attached to each model (KServe's canary, Triton-style shadowing): which one it
 * is, which share of traffic a canary takes, and how a shadow candidate is put behind the serving
 * version's scheduler. When candidates load and unload is the repository's business (model-repository.ts).
 */
export class Candidates {
  readonly #byModel = new Map<string, Candidate>();
  readonly #schedulers: SchedulerFactory;
  /** A number in [0, 100): a canary answers a request when it falls below its percent. */
  readonly #draw: () => number;

  constructor(schedulers: SchedulerFactory, draw: () => number = () => Math.random() * 100) {
    this.#schedulers = schedulers;
    this.#draw = draw;
  }

  of(name: string): Candidate | undefined {
    return this.#byModel.get(name);
  }

  set(name: string, candidate: Candidate): void {
    this.#byModel.set(name, candidate);
  }

  delete(name: string): void {
    this.#byModel.delete(name);
  }

  /** A canary would answer a sequence's requests from two versions, each with its own state: refused for stateful models. */
  checkAllowed(name: string, candidate: Candidate, versions: Iterable<ModelVersion>): void {
    if (candidate.mode === 'canary' && [...versions].some((v) => v.config?.sequence)) {
      throw new ClinferError('INVALID_REQUEST', `model '${name}' is stateful (bundle sequence): a canary would answer a sequence's requests from two versions, each with its own state; use mode 'shadow'`);
    }
  }

  /** The version a request that names none goes to: the canary for its share, else the highest READY one. */
  route(name: string, versions: ReadonlyMap<string, ModelVersion>): ModelVersion {
    const c = this.#byModel.get(name);
    const cand = c ? versions.get(c.version) : undefined;
    // A stateful model's candidate takes no random share: a sequence's requests must reach the version holding its state.
    if (c?.mode === 'canary' && cand?.state === 'READY' && !cand.config?.sequence && this.#draw() < c.percent) return cand;
    const ordered = [...versions.values()].filter((v) => v !== cand).sort((a, b) => Number(b.version) - Number(a.version));
    return ordered.find((v) => v.state === 'READY') ?? ordered[0] ?? cand!;
  }

  /** Puts each READY version's scheduler in place: its batcher, wrapped for shadowing when a shadow candidate is READY. */
  wire(name: string, versions: ReadonlyMap<string, ModelVersion>): void {
    const c = this.#byModel.get(name);
    const cand = c ? versions.get(c.version) : undefined;
    for (const v of versions.values()) {
      if (v.state !== 'READY' || !v.batcher) continue;
      v.scheduler = c?.mode === 'shadow' && cand?.state === 'READY' && cand.batcher && v !== cand
        ? this.#schedulers.shadow(v.batcher, { model: name, servingVersion: v.version, candidateVersion: cand.version, candidate: cand.batcher, compare: v.config?.bundle?.task === 'classification' ? 'argmax' : 'difference' })
        : v.batcher;
    }
  }
}
