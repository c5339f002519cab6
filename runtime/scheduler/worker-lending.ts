/**
 * Lending idle worker threads (docs/isolation.md#lending).
 *
 * By default one version runs on at most workers − 1 threads at once (maxInstancesPerModel): one thread is
 * kept for the other models, so that a model that hangs never holds every thread. Kept idle, that thread
 * halves what a busy model gets on a 2-worker server while the other models have nothing to do. Lending
 * gives it to the busy model while it is free, and takes it back before it can hurt:
 *
 * - a version borrows only a thread that is idle with no batch waiting for one (the pool says), and only
 *   while no other version has requests queued;
 * - only a version whose batches take `MIN_BATCH_MS` or more (below, the main thread limits it, not the
 *   worker, and lending would only split its batches), unless it does not batch at all;
 * - only a version that is running normally: it has completed `HISTORY` batches since it loaded (or since
 *   its last failure), and none of its batches running now has run longer than `STALL_FACTOR` times its
 *   typical batch (at least `STALL_FLOOR_MS`): a model that starts hanging stops borrowing;
 * - a batch on a lent thread has a limit of `LIMIT_FACTOR` times the typical batch (at least
 *   `LIMIT_FLOOR_MS`; never above the version's execution timeout): past it the pool gives the thread up
 *   and starts a replacement, and the batch's requests run again, alone, on the model's own share
 *   (a retried request never borrows). So a model that hangs holds a lent thread at most that long;
 * - a failed batch (worker exit, timeout, lent limit) pauses the version's borrowing for `PAUSE_MS` and
 *   restarts its history.
 *
 * Off where the operator chose limits: `workerLending: false`, an explicit `maxInstancesPerModel`, or a
 * bundle's `execution.instances`; and with `exitAfterStuckWorkers` (a thread given back counts as abandoned
 * until its run returns: a batch that was only slow must not restart the process).
 */
export const LENDING = {
  /**
   * Only a version whose typical batch takes at least this long borrows: below it the main thread (HTTP,
   * hand-offs), not the worker, is what limits the model, and a second worker only splits its batches and
   * adds hand-offs (measured 2026-12-05 at 32 clients: the demo X-ray CNN, batches of about 0.3 ms, served
   * 7.2-7.6k img/s lent against 8.0-8.6k not; the PaddleOCR classifier, batches of 4 in 3.5 ms, 1,250-1,310
   * against 840-960).
   */
  MIN_BATCH_MS: 1,
  HISTORY: 8,
  STALL_FACTOR: 4,
  STALL_FLOOR_MS: 50,
  LIMIT_FACTOR: 20,
  LIMIT_FLOOR_MS: 2000,
  PAUSE_MS: 60_000,
} as const;

/**
 * Whether a version may borrow at all: only where nobody chose the limits (neither the operator's
 * maxInstancesPerModel nor the bundle's execution.instances), and not with exitAfterStuckWorkers, where a
 * lent thread given back (abandoned until its run returns) could restart the process for a batch that was
 * only slow.
 */
export function lendingAllowed(settings: { readonly workerLending: boolean; readonly maxInstancesPerModel: number; readonly exitAfterStuckWorkers: number }, bundleInstances: number | undefined): boolean {
  return settings.workerLending && settings.maxInstancesPerModel === 0 && settings.exitAfterStuckWorkers === 0 && bundleInstances === undefined;
}

/** What the registry needs to know of a version: how many of its requests wait. */
export interface LendingMember {
  readonly queuedCount: number;
}

/** The server's versions that may borrow, so that none borrows while another has requests waiting. */
export class WorkerLending {
  readonly #members = new Set<LendingMember>();

  /** Registers a version; the returned function removes it (when it stops). */
  join(member: LendingMember): () => void {
    this.#members.add(member);
    return () => { this.#members.delete(member); };
  }

  /** True when a version other than `self` has requests queued. */
  othersWaiting(self: LendingMember): boolean {
    for (const m of this.#members) if (m !== self && m.queuedCount > 0) return true;
    return false;
  }
}

/** One version's side: whether it may borrow now, and the limit of a lent batch. */
export class Borrower {
  readonly #lending: WorkerLending;
  readonly #member: LendingMember;
  readonly #idleWorkers: () => number;
  readonly #minTypicalMs: number;
  readonly #leave: () => void;
  #history = 0;
  #pausedUntil = 0;

  /**
   * `batches`: whether the version merges requests into batches. One that does not (every batch is one
   * request) borrows whatever its batches take: a second thread cannot split what is never merged, and
   * it overlaps one request's hand-off with another's run.
   */
  constructor(lending: WorkerLending, member: LendingMember, idleWorkers: () => number, batches: boolean) {
    this.#lending = lending;
    this.#member = member;
    this.#idleWorkers = idleWorkers;
    this.#minTypicalMs = batches ? LENDING.MIN_BATCH_MS : 0;
    this.#leave = lending.join(member);
  }

  /**
   * May the version start one more batch beyond its own share now? `oldestRunningSince`: when its
   * longest-running batch started (performance.now()), undefined when none runs; `typicalMs`: its
   * typical batch (a moving average of compute time).
   */
  mayBorrow(now: number, oldestRunningSince: number | undefined, typicalMs: number): boolean {
    if (oldestRunningSince !== undefined && now - oldestRunningSince > Math.max(LENDING.STALL_FLOOR_MS, LENDING.STALL_FACTOR * typicalMs)) return false;
    return this.lendable(now, typicalMs) > 0;
  }

  /** How long a lent batch may run before its thread is taken back. */
  limitMs(typicalMs: number): number {
    return Math.ceil(Math.max(LENDING.LIMIT_FLOOR_MS, LENDING.LIMIT_FACTOR * typicalMs));
  }

  /** How many batches a lent share could hold now, beside the version's own (for sharing the queue out). */
  lendable(now: number, typicalMs: number): number {
    if (this.#history < LENDING.HISTORY || now < this.#pausedUntil || typicalMs < this.#minTypicalMs) return 0;
    return this.#lending.othersWaiting(this.#member) ? 0 : this.#idleWorkers();
  }

  completed(): void {
    this.#history++;
  }

  failed(now: number): void {
    this.#history = 0;
    this.#pausedUntil = now + LENDING.PAUSE_MS;
  }

  leave(): void {
    this.#leave();
  }
}
