import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeDurably } from './durable-file.js';

/** What is written beside an item's instances; it never changes after enqueue. */
export interface OutboxItemMeta {
  readonly id: string;
  readonly destination: string;
  readonly kind: 'sr' | 'seg' | 'risk-assessment';
  /** DICOM results only: the study they belong to (for the caller of a `failed` event, never for a log). */
  readonly studyInstanceUID?: string | undefined;
  /** Epoch milliseconds; the age limit counts from here, across restarts. */
  readonly createdAt: number;
}

const META_FILE = 'item.json';
const FAILURE_FILE = 'failure.json';
const ID_PATTERN = /^[0-9a-z]{9}-[0-9a-f]{12}$/;

/**
 * The outbox on disk. One folder per item:
 *   tmp/<id>/      being written; whatever is here at start was never acknowledged and is removed
 *   pending/<id>/  item.json + 0000.dcm, 0001.dcm ... (the instances not yet delivered; 0000.json for FHIR)
 *   failed/<id>/   given up (too old); failure.json says why
 * An item reaches pending/ by one rename of a fully written, fsynced folder, so after a crash it is either
 * wholly there or not there at all. Delivered instances are unlinked one by one; delivered items removed.
 */
export class OutboxStore {
  readonly #tmp: string;
  readonly #pending: string;
  readonly #failed: string;

  /** `extension`: of the instance files, '.dcm' (DICOM results) or '.json' (FHIR resources). */
  constructor(readonly dir: string, readonly extension: '.dcm' | '.json' = '.dcm') {
    this.#tmp = join(dir, 'tmp');
    this.#pending = join(dir, 'pending');
    this.#failed = join(dir, 'failed');
  }

  async init(): Promise<void> {
    await Promise.all([this.#tmp, this.#pending, this.#failed].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
    for (const name of await readdir(this.#tmp)) await rm(join(this.#tmp, name), { recursive: true, force: true });
  }

  static newId(now = Date.now()): string {
    return `${now.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
  }

  /** Resolves once the item is durably in pending/. */
  async write(meta: OutboxItemMeta, instances: readonly Uint8Array[]): Promise<void> {
    const staging = join(this.#tmp, meta.id);
    await mkdir(staging, { mode: 0o700 });
    try {
      for (const [index, bytes] of instances.entries()) await writeDurably(join(staging, instanceFile(index, this.extension)), bytes);
      await writeDurably(join(staging, META_FILE), JSON.stringify(meta));
      await syncDir(staging);
      await rename(staging, join(this.#pending, meta.id));
      await syncDir(this.#pending);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  }

  /** Items in pending/, oldest first; `unreadable` lists folders without a readable item.json. */
  async list(): Promise<{ items: OutboxItemMeta[]; unreadable: string[] }> {
    const items: OutboxItemMeta[] = [];
    const unreadable: string[] = [];
    for (const id of (await readdir(this.#pending)).sort()) {
      if (!ID_PATTERN.test(id)) continue;
      try {
        const meta = JSON.parse(await readFile(join(this.#pending, id, META_FILE), 'utf8')) as OutboxItemMeta;
        if (meta.id !== id) throw new Error('id mismatch');
        items.push(meta);
      } catch {
        unreadable.push(id);
      }
    }
    return { items, unreadable };
  }

  /** The instances still to deliver, with their file names (for removeInstances). */
  async read(id: string): Promise<{ names: string[]; instances: Uint8Array[] }> {
    const folder = join(this.#pending, id);
    const names = (await readdir(folder)).filter((n) => n !== META_FILE && n.endsWith(this.extension)).sort();
    const instances = await Promise.all(names.map(async (n) => new Uint8Array(await readFile(join(folder, n)))));
    return { names, instances };
  }

  /** After a partial delivery: the delivered instances are not sent again. */
  async removeInstances(id: string, names: readonly string[]): Promise<void> {
    const folder = join(this.#pending, id);
    for (const name of names) await unlink(join(folder, name));
    await syncDir(folder);
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.#pending, id), { recursive: true, force: true });
    await syncDir(this.#pending);
  }

  async moveToFailed(id: string, failure: { readonly reason: string; readonly attempts: number }): Promise<void> {
    const target = join(this.#failed, id);
    await rename(join(this.#pending, id), target);
    await writeFile(join(target, FAILURE_FILE), JSON.stringify({ ...failure, failedAt: new Date().toISOString() }), { mode: 0o600 });
    await syncDir(this.#pending);
  }
}

function instanceFile(index: number, extension: string): string {
  return `${String(index).padStart(4, '0')}${extension}`;
}
