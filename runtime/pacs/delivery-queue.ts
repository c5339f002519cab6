import { createLogger, type Logger } from '../log/logger.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { Destination } from './destination.js';
import { DeliveryLane, type LaneHost } from './delivery-lane.js';
import { OutboxStore, type OutboxItemMeta } from './outbox-store.js';
import { PacsError } from './pacs-error.js';

export interface DeliveryQueueOptions {
  /** The outbox folder (created if missing): tmp/, pending/, failed/ inside. */
  readonly dir: string;
  /** By name; an item on disk for a name not here waits (and counts as pending) until it is configured again. */
  readonly destinations: readonly Destination[];
  /** Default 1 s .. 5 min. */
  readonly backoff?: BackoffPolicy;
  /** An item this old (from enqueue, across restarts) is moved to failed/ at its next failure; default: never. */
  readonly maxAgeMs?: number;
  /** Called synchronously for every change; map to metrics here. Must not throw. */
  readonly onEvent?: (event: DeliveryEvent) => void;
  readonly log?: Logger;
  /** Of the item files: '.dcm' (default) or '.json' (FHIR resources). */
  readonly fileExtension?: '.dcm' | '.json';
  /** For tests: the jitter source. */
  readonly random?: () => number;
}

export interface EnqueueMeta {
  readonly kind: 'sr' | 'seg' | 'risk-assessment';
  /** DICOM results only. */
  readonly studyInstanceUID?: string | undefined;
}

/** Events for metrics and reporting. Only `failed` carries the study UID: for the caller, never for a log. */
export type DeliveryEvent =
  | { readonly type: 'enqueued'; readonly id: string; readonly destination: string; readonly kind: EnqueueMeta['kind']; readonly instances: number }
  | { readonly type: 'delivered'; readonly id: string; readonly destination: string; readonly kind: EnqueueMeta['kind']; readonly attempts: number; readonly ageMs: number }
  | { readonly type: 'retry'; readonly id: string; readonly destination: string; readonly kind: EnqueueMeta['kind']; readonly attempt: number; readonly delayMs: number; readonly code: string }
  | {
      readonly type: 'failed';
      readonly id: string;
      readonly destination: string;
      readonly kind: EnqueueMeta['kind'] | undefined;
      readonly attempts: number;
      readonly reason: string;
      readonly studyInstanceUID: string | undefined;
    };

export interface DeliveryCounts {
  /** Items on disk not yet delivered (a gauge). */
  readonly pending: number;
  /** Since open (counters). */
  readonly delivered: number;
  readonly failed: number;
  /** Failed delivery attempts, each followed by a wait. */
  readonly retries: number;
}

export interface DeliveryQueue {
  /** Resolves with the item id once the instances are durably on disk; delivery happens afterwards. */
  enqueue(destination: string, instances: readonly Uint8Array[], meta: EnqueueMeta): Promise<string>;
  /** Counts for all destinations, or for one. */
  counts(destination?: string): DeliveryCounts;
  /** Resolves true once nothing deliverable is pending, false if `timeoutMs` passes first. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Accepts no more items, lets running sends finish, stops. What is pending stays on disk for the next open. */
  close(): Promise<void>;
}

/**
 * The durable outbox for results going to PACS (and, in a folder of its own, RiskAssessments to the EHR's FHIR server). Opening it loads what a previous run left in pending/;
 * each destination then gets a lane that sends its items one at a time, oldest first, and retries with
 * back-off (see delivery-lane.ts). Log lines carry item ids, destination names and codes only.
 */
export async function openDeliveryQueue(options: DeliveryQueueOptions): Promise<DeliveryQueue> {
  const log = options.log ?? createLogger('silent');
  const store = new OutboxStore(options.dir, options.fileExtension);
  await store.init();
  const policy = options.backoff ?? { initialMs: 1000, maxMs: 300_000 };
  const random = options.random ?? Math.random;
  const totals = new Map<string, { delivered: number; failed: number; retries: number }>();
  const changed = new Set<() => void>();
  const waiting = new Map<string, number>();

  const emit = (event: DeliveryEvent) => {
    const total = totals.get(event.destination) ?? { delivered: 0, failed: 0, retries: 0 };
    totals.set(event.destination, total);
    if (event.type === 'delivered') total.delivered += 1;
    if (event.type === 'failed') total.failed += 1;
    if (event.type === 'retry') total.retries += 1;
    options.onEvent?.(event);
    for (const notify of changed) notify();
  };
  const host: LaneHost = { store, log, emit, maxAgeMs: options.maxAgeMs, delay: (attempt) => backoffDelay(attempt, policy, random) };
  const lanes = new Map(options.destinations.map((d) => [d.name, new DeliveryLane(d, host)]));

  const { items, unreadable } = await store.list();
  for (const id of unreadable) {
    await store.moveToFailed(id, { reason: 'unreadable item.json', attempts: 0 });
    log.error('pacs.delivery.failed', { id, reason: 'unreadable' });
    emit({ type: 'failed', id, destination: 'unknown', kind: undefined, attempts: 0, reason: 'unreadable item.json', studyInstanceUID: undefined });
  }
  for (const meta of items) {
    const lane = lanes.get(meta.destination);
    if (lane) lane.add(meta);
    else {
      waiting.set(meta.destination, (waiting.get(meta.destination) ?? 0) + 1);
      log.warn('pacs.delivery.unknown_destination', { id: meta.id, destination: meta.destination });
    }
  }
  log.info('pacs.delivery.opened', { pending: items.length, destinations: [...lanes.keys()] });
  for (const lane of lanes.values()) lane.start();

  let closed = false;
  const counts = (destination?: string): DeliveryCounts => {
    const names = destination === undefined ? new Set([...lanes.keys(), ...waiting.keys(), ...totals.keys()]) : new Set([destination]);
    let pending = 0;
    let delivered = 0;
    let failed = 0;
    let retries = 0;
    for (const name of names) {
      pending += (lanes.get(name)?.pending ?? 0) + (waiting.get(name) ?? 0);
      delivered += totals.get(name)?.delivered ?? 0;
      failed += totals.get(name)?.failed ?? 0;
      retries += totals.get(name)?.retries ?? 0;
    }
    return { pending, delivered, failed, retries };
  };

  return {
    async enqueue(destination, instances, meta) {
      if (closed) throw new PacsError('PACS_QUEUE_CLOSED', 'the delivery queue is closed');
      const lane = lanes.get(destination);
      if (!lane) throw new PacsError('PACS_DESTINATION_UNKNOWN', `no destination named '${destination}'`);
      const item: OutboxItemMeta = { id: OutboxStore.newId(), destination, kind: meta.kind, ...(meta.studyInstanceUID ? { studyInstanceUID: meta.studyInstanceUID } : {}), createdAt: Date.now() };
      await store.write(item, instances);
      lane.add(item);
      log.info('pacs.delivery.enqueued', { id: item.id, destination, kind: item.kind, instances: instances.length });
      emit({ type: 'enqueued', id: item.id, destination, kind: item.kind, instances: instances.length });
      return item.id;
    },
    counts,
    async drain(timeoutMs = Number.POSITIVE_INFINITY) {
      const deadline = Date.now() + timeoutMs;
      const deliverable = () => [...lanes.values()].reduce((n, lane) => n + lane.pending, 0);
      while (deliverable() > 0) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            changed.delete(done);
            resolve();
          };
          const timer = setTimeout(done, Math.min(left, 2 ** 31 - 1));
          changed.add(done);
        });
      }
      return true;
    },
    async close() {
      closed = true;
      await Promise.all([...lanes.values()].map((lane) => lane.stop()));
      log.info('pacs.delivery.closed', { pending: counts().pending });
    },
  };
}
