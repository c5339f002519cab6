import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../runtime/log/logger.js';
import { createDestination } from '../../runtime/pacs/create-destination.js';
import { openDeliveryQueue, type DeliveryEvent, type DeliveryQueue } from '../../runtime/pacs/delivery-queue.js';
import type { Destination, SendReport } from '../../runtime/pacs/destination.js';
import { PacsError } from '../../runtime/pacs/pacs-error.js';
import { readPart10 } from '../../runtime/pacs/part10.js';
import { StoreScp, dcmtkAvailable, freePort } from '../helpers/dcmtk.js';
import { requirePeer } from '../helpers/peers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pacs/', import.meta.url));
const file = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const SR = file('test-SR.dcm');
const CT = file('CT_small.dcm');
const STUDY = '1.2.826.0.1.3680043.8.498.99999.1';
const FAST = { initialMs: 50, maxMs: 500 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clinfer-outbox-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(options: Parameters<typeof openDeliveryQueue>[0]): Promise<DeliveryQueue> {
  const queue = await openDeliveryQueue(options);
  cleanups.push(() => queue.close());
  return queue;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A destination whose answer the test scripts; it records what each call was given. */
function scripted(name: string, answer: (instances: readonly Uint8Array[], call: number) => SendReport | Promise<SendReport>) {
  const calls: Uint8Array[][] = [];
  const destination: Destination = {
    name,
    kind: 'stowrs',
    async send(instances) {
      calls.push([...instances]);
      return answer(instances, calls.length);
    },
  };
  return { destination, calls };
}

const outcomes = (instances: readonly Uint8Array[], ok: (uid: string, index: number) => boolean): SendReport => ({
  outcomes: instances.map((bytes, index) => {
    const sopInstanceUid = readPart10(bytes).sopInstanceUid;
    return { index, sopInstanceUid, ok: ok(sopInstanceUid, index) };
  }),
});

requirePeer('dcmtk', dcmtkAvailable());

describe('delivery queue with a C-STORE destination (storescp)', () => {
  it('keeps an item on disk while the PACS is down, survives a restart, delivers once it is up, then deletes it', async () => {
    const dir = tempDir();
    const port = await freePort();
    const destinations = [createDestination({ name: 'pacs', kind: 'cstore', host: '127.0.0.1', port, calledAeTitle: 'STORESCP', callingAeTitle: 'CLINFER', timeoutMs: 2000 })];
    const events: DeliveryEvent[] = [];
    const logLines: string[] = [];
    const log = createLogger('debug', (line) => logLines.push(line));

    const first = await open({ dir, destinations, backoff: FAST, onEvent: (e) => events.push(e), log });
    const id = await first.enqueue('pacs', [SR, CT], { kind: 'sr', studyInstanceUID: STUDY });
    // Durable before enqueue resolves: the item folder is complete in pending/.
    const folder = join(dir, 'pending', id);
    expect(readdirSync(folder).sort()).toEqual(['0000.dcm', '0001.dcm', 'item.json']);
    expect(readFileSync(join(folder, '0000.dcm')).equals(Buffer.from(SR))).toBe(true);
    expect(JSON.parse(readFileSync(join(folder, 'item.json'), 'utf8'))).toMatchObject({ id, destination: 'pacs', kind: 'sr', studyInstanceUID: STUDY });

    await until(() => first.counts().retries >= 2, 5000, 'two failed attempts');
    expect(first.counts()).toMatchObject({ pending: 1, delivered: 0, failed: 0 });
    expect(events.filter((e) => e.type === 'retry').every((e) => e.type === 'retry' && e.code === 'PACS_NETWORK')).toBe(true);
    await first.close();
    expect(existsSync(folder)).toBe(true);

    // A new queue object over the same folder (a restart) finds the item.
    const second = await open({ dir, destinations, backoff: FAST, onEvent: (e) => events.push(e), log });
    expect(second.counts().pending).toBe(1);
    const storescp = await StoreScp.start({ aeTitle: 'STORESCP', port });
    cleanups.push(() => storescp.stop());
    expect(await second.drain(10_000)).toBe(true);
    expect(second.counts()).toMatchObject({ pending: 0, delivered: 1, failed: 0 });
    expect(existsSync(folder)).toBe(false);
    const stored = storescp.files().join('\n');
    expect(stored).toContain(readPart10(SR).sopInstanceUid);
    expect(stored).toContain(readPart10(CT).sopInstanceUid);
    expect(events.at(-1)).toMatchObject({ type: 'delivered', id, destination: 'pacs', kind: 'sr' });

    // Log lines carry ids and the destination name, never UIDs of the study or its instances.
    const logged = logLines.join('\n');
    expect(logged).toContain(id);
    expect(logged).not.toContain(STUDY);
    expect(logged).not.toContain(readPart10(SR).sopInstanceUid);
    expect(logged).not.toContain(readPart10(CT).sopInstanceUid);
  }, 30_000);
});

describe('delivery queue', () => {
  it('moves an item older than maxAgeMs to failed/ after a failure and reports it', async () => {
    const dir = tempDir();
    const down = scripted('pacs', () => {
      throw new PacsError('PACS_NETWORK', 'down');
    });
    const events: DeliveryEvent[] = [];
    const queue = await open({ dir, destinations: [down.destination], backoff: FAST, maxAgeMs: 200, onEvent: (e) => events.push(e) });
    const id = await queue.enqueue('pacs', [SR], { kind: 'seg', studyInstanceUID: STUDY });
    await until(() => queue.counts().failed === 1, 5000, 'failed');
    expect(queue.counts()).toMatchObject({ pending: 0, failed: 1 });
    expect(existsSync(join(dir, 'pending', id))).toBe(false);
    expect(readdirSync(join(dir, 'failed', id)).sort()).toEqual(['0000.dcm', 'failure.json', 'item.json']);
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ type: 'failed', id, destination: 'pacs', kind: 'seg', studyInstanceUID: STUDY });
  }, 10_000);

  it('after a partial delivery resends only the refused instances', async () => {
    const dir = tempDir();
    const ctUid = readPart10(CT).sopInstanceUid;
    const flaky = scripted('pacs', (instances, call) => outcomes(instances, (uid) => call > 1 || uid !== ctUid));
    const queue = await open({ dir, destinations: [flaky.destination], backoff: FAST });
    await queue.enqueue('pacs', [SR, CT], { kind: 'sr', studyInstanceUID: STUDY });
    expect(await queue.drain(5000)).toBe(true);
    expect(flaky.calls.map((c) => c.map((i) => readPart10(i).sopInstanceUid))).toEqual([[readPart10(SR).sopInstanceUid, ctUid], [ctUid]]);
    expect(queue.counts()).toMatchObject({ pending: 0, delivered: 1, retries: 1 });
  }, 10_000);

  it('does not let an item the PACS keeps refusing hold up the next one', async () => {
    const dir = tempDir();
    const ctUid = readPart10(CT).sopInstanceUid;
    const picky = scripted('pacs', (instances) => outcomes(instances, (uid) => uid !== ctUid));
    const events: DeliveryEvent[] = [];
    const queue = await open({ dir, destinations: [picky.destination], backoff: { initialMs: 200, maxMs: 2000 }, onEvent: (e) => events.push(e) });
    const poison = await queue.enqueue('pacs', [CT], { kind: 'seg', studyInstanceUID: STUDY });
    const good = await queue.enqueue('pacs', [SR], { kind: 'sr', studyInstanceUID: STUDY });
    await until(() => events.some((e) => e.type === 'delivered' && e.id === good), 3000, 'the good item delivered');
    expect(queue.counts('pacs').pending).toBe(1);
    expect(events.some((e) => e.type === 'retry' && e.id === poison && e.code === 'PACS_INSTANCE_REFUSED')).toBe(true);
  }, 10_000);

  it('on open removes half-written items in tmp/ and moves unreadable ones to failed/', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'tmp', 'half-written'), { recursive: true });
    writeFileSync(join(dir, 'tmp', 'half-written', '0000.dcm'), 'x');
    mkdirSync(join(dir, 'pending', '00000000a-000000000000'), { recursive: true });
    writeFileSync(join(dir, 'pending', '00000000a-000000000000', 'item.json'), '{not json');
    const events: DeliveryEvent[] = [];
    const queue = await open({ dir, destinations: [], onEvent: (e) => events.push(e) });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'failed'))).toEqual(['00000000a-000000000000']);
    expect(events).toMatchObject([{ type: 'failed', id: '00000000a-000000000000' }]);
    expect(queue.counts()).toMatchObject({ pending: 0, failed: 1 });
  });

  it('keeps items of a destination that is no longer configured, counted as pending', async () => {
    const dir = tempDir();
    const down = scripted('old-pacs', () => {
      throw new PacsError('PACS_NETWORK', 'down');
    });
    const first = await openDeliveryQueue({ dir, destinations: [down.destination], backoff: FAST });
    const id = await first.enqueue('old-pacs', [SR], { kind: 'sr', studyInstanceUID: STUDY });
    await first.close();
    const second = await open({ dir, destinations: [] });
    expect(second.counts()).toMatchObject({ pending: 1, failed: 0 });
    expect(existsSync(join(dir, 'pending', id))).toBe(true);
  });

  it('refuses an unknown destination, and any enqueue after close', async () => {
    const dir = tempDir();
    const ok = scripted('pacs', (instances) => outcomes(instances, () => true));
    const queue = await openDeliveryQueue({ dir, destinations: [ok.destination], backoff: FAST });
    const unknown = await queue.enqueue('nowhere', [SR], { kind: 'sr', studyInstanceUID: STUDY }).catch((e: unknown) => e);
    expect((unknown as PacsError).code).toBe('PACS_DESTINATION_UNKNOWN');
    await queue.close();
    const closed = await queue.enqueue('pacs', [SR], { kind: 'sr', studyInstanceUID: STUDY }).catch((e: unknown) => e);
    expect((closed as PacsError).code).toBe('PACS_QUEUE_CLOSED');
    expect(readdirSync(join(dir, 'pending'))).toEqual([]);
  });

  it('drain() gives up after its timeout while a destination is down', async () => {
    const dir = tempDir();
    const down = scripted('pacs', () => {
      throw new PacsError('PACS_TIMEOUT', 'slow');
    });
    // Fake clock and timers (drain, the lane's backoff): the 300 ms are counted by the test, not by a
    // machine that may be slow. The disk I/O stays real.
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    try {
      const queue = await open({ dir, destinations: [down.destination], backoff: FAST });
      await queue.enqueue('pacs', [SR], { kind: 'sr', studyInstanceUID: STUDY });
      let settled: boolean | undefined;
      const drained = queue.drain(300).then((result) => {
        settled = result;
      });
      await vi.advanceTimersByTimeAsync(299);
      expect(settled).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await drained;
      expect(settled).toBe(false);
      expect(queue.counts().pending).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
