import type { Logger } from '../log/logger.js';
import type { Destination } from './destination.js';
import type { DeliveryEvent } from './delivery-queue.js';
import type { OutboxItemMeta, OutboxStore } from './outbox-store.js';
import { failureCode } from './pacs-error.js';

/** What a lane needs from its queue. */
export interface LaneHost {
  readonly store: OutboxStore;
  readonly log: Logger;
  readonly emit: (event: DeliveryEvent) => void;
  readonly maxAgeMs: number | undefined;
  /** Back-off before retry number `attempt`. */
  readonly delay: (attempt: number) => number;
}

interface LaneItem {
  readonly meta: OutboxItemMeta;
  attempts: number;
  /** Epoch ms before which this item is not tried again (after its own instances were refused). */
  notBefore: number;
}

/**
 * Sends one destination's items, one at a time, oldest first. Two kinds of failure, two kinds of wait:
 * - the exchange failed (peer down, rejected, timed out, HTTP error): the destination is the problem, so
 *   the whole lane waits, with back-off growing per consecutive failure, and then retries the same item;
 * - the peer answered but refused some instances: the delivered ones are removed from disk and only that
 *   item waits (its own back-off), so one bad object does not hold up the others.
 * An item older than maxAgeMs is moved to failed/ at its next failure, or while its destination is failing.
 */
export class DeliveryLane {
  readonly #destination: Destination;
  readonly #host: LaneHost;
  readonly #items: LaneItem[] = [];
  #laneFailures = 0;
  #laneNotBefore = 0;
  #stopping = false;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(destination: Destination, host: LaneHost) {
    this.#destination = destination;
    this.#host = host;
  }

  get pending(): number {
    return this.#items.length;
  }

  add(meta: OutboxItemMeta): void {
    this.#items.push({ meta, attempts: 0, notBefore: 0 });
    this.#wake?.();
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#expire();
        const now = Date.now();
        const item = now >= this.#laneNotBefore ? this.#items.find((i) => i.notBefore <= now) : undefined;
        if (item) await this.#attempt(item);
        else await this.#sleep(this.#nextWakeAt() - now);
      } catch (error) {
        // The store failed (disk full, permissions): wait like a failing destination rather than spin.
        this.#laneFailures += 1;
        const delayMs = this.#host.delay(this.#laneFailures);
        this.#laneNotBefore = Date.now() + delayMs;
        this.#host.log.error('pacs.delivery.store_error', { destination: this.#destination.name, code: failureCode(error), delayMs });
      }
    }
  }

  async #attempt(item: LaneItem): Promise<void> {
    const { id, destination } = item.meta;
    const files = await this.#host.store.read(id).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return undefined;
    });
    if (!files) {
      // Someone removed the folder by hand: nothing left to send or to keep.
      this.#drop(item);
      this.#host.log.error('pacs.delivery.failed', { id, destination, attempts: item.attempts, reason: 'missing' });
      this.#host.emit({ type: 'failed', id, destination, kind: item.meta.kind, attempts: item.attempts, reason: 'the item folder is gone', studyInstanceUID: item.meta.studyInstanceUID });
      return;
    }
    const { names, instances } = files;
    let failedCode: string;
    try {
      const report = instances.length === 0 ? { outcomes: [] } : await this.#destination.send(instances);
      this.#laneFailures = 0;
      this.#laneNotBefore = 0;
      const delivered = names.filter((_, index) => report.outcomes[index]?.ok === true);
      if (delivered.length === names.length) {
        await this.#host.store.remove(id);
        this.#drop(item);
        const ageMs = Date.now() - item.meta.createdAt;
        this.#host.log.info('pacs.delivery.delivered', { id, destination, attempts: item.attempts + 1, ageMs });
        this.#host.emit({ type: 'delivered', id, destination, kind: item.meta.kind, attempts: item.attempts + 1, ageMs });
        return;
      }
      if (delivered.length > 0) await this.#host.store.removeInstances(id, delivered);
      failedCode = 'PACS_INSTANCE_REFUSED';
      item.attempts += 1;
      item.notBefore = Date.now() + this.#retry(item, this.#host.delay(item.attempts), failedCode);
    } catch (error) {
      failedCode = failureCode(error);
      item.attempts += 1;
      this.#laneFailures += 1;
      this.#laneNotBefore = Date.now() + this.#retry(item, this.#host.delay(this.#laneFailures), failedCode);
    }
  }

  #retry(item: LaneItem, delayMs: number, code: string): number {
    const { id, destination, kind } = item.meta;
    this.#host.log.warn('pacs.delivery.retry', { id, destination, attempt: item.attempts, delayMs, code });
    this.#host.emit({ type: 'retry', id, destination, kind, attempt: item.attempts, delayMs, code });
    return delayMs;
  }

  async #expire(): Promise<void> {
    const maxAgeMs = this.#host.maxAgeMs;
    if (maxAgeMs === undefined || maxAgeMs <= 0) return;
    const now = Date.now();
    for (const item of [...this.#items]) {
      const failing = item.attempts > 0 || this.#laneFailures > 0;
      if (!failing || now - item.meta.createdAt < maxAgeMs) continue;
      const reason = `not delivered within ${maxAgeMs} ms`;
      await this.#host.store.moveToFailed(item.meta.id, { reason, attempts: item.attempts });
      this.#drop(item);
      const { id, destination, kind, studyInstanceUID } = item.meta;
      this.#host.log.error('pacs.delivery.failed', { id, destination, attempts: item.attempts, reason: 'max-age' });
      this.#host.emit({ type: 'failed', id, destination, kind, attempts: item.attempts, reason, studyInstanceUID });
    }
  }

  /** When something can next be tried: the lane's wait, else the earliest item wait; a new item wakes us early. */
  #nextWakeAt(): number {
    if (this.#items.length === 0) return Number.POSITIVE_INFINITY;
    const earliestItem = Math.min(...this.#items.map((i) => i.notBefore));
    return Math.max(this.#laneNotBefore, earliestItem);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, Math.min(ms, 2 ** 31 - 1))) : undefined;
      this.#wake = done;
    });
  }

  #drop(item: LaneItem): void {
    const index = this.#items.indexOf(item);
    if (index >= 0) this.#items.splice(index, 1);
  }
}
