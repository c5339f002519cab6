import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ClinferError } from '../errors/index.js';
import { syncDir, writeDurably } from '../pacs/durable-file.js';

/** Why an instance was set aside: written beside it in dead-letter/ (no patient data: the study is hashed). */
export interface DeadLetterReason {
  readonly id: string;
  /** The stable error code (INVALID_DICOM, NO_PIXEL_DATA, OUT_OF_SCOPE, ...). */
  readonly code: string;
  readonly message: string;
  /** The models the failure came from; empty when the instance failed before any model ran. */
  readonly models: readonly string[];
  /** studyHash() of its Study Instance UID, as in the log lines; absent when the file had none. */
  readonly study: string | undefined;
  /** ISO time it was set aside. */
  readonly time: string;
}

/** An instance waiting in the inbox: received, not yet processed. */
export interface PendingInstance {
  readonly id: string;
  readonly path: string;
}

const DEAD_LETTER = 'dead-letter';
const ID = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Instances received (C-STORE, STOW-RS) from the moment the sender is told "stored" until their study's
 * results are queued in the outbox: a crash, a restart, a model being reloaded loses none. Layout:
 *   <id>.dcm                 waiting for its study to settle, or for a retry
 *   tmp/                     being written (whatever is here at start was never acknowledged: removed)
 *   dead-letter/<id>.dcm     set aside for a permanent reason, with <id>.json (DeadLetterReason) beside it
 * Files are written to tmp/, fsynced, then renamed into place (the folder fsynced too), so a file in the
 * folder is always whole. `clinfer inbox` works on the same folders (a running server picks up retried files).
 */
export class Inbox {
  readonly #dir: string;
  readonly #tmp: string;
  readonly #dead: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.#tmp = join(dir, 'tmp');
    this.#dead = join(dir, DEAD_LETTER);
  }

  get dir(): string {
    return this.#dir;
  }

  async init(): Promise<void> {
    await mkdir(this.#tmp, { recursive: true });
    await mkdir(this.#dead, { recursive: true });
    // Half-written files from a crash: their C-STORE was never answered success, the sender still has them.
    for (const name of await readdir(this.#tmp)) await rm(join(this.#tmp, name), { force: true, recursive: true });
  }

  /**
   * Writes one Part 10 instance durably; resolves with its path. A write that fails (disk full, read-only
   * or unwritable folder) is INBOX_UNAVAILABLE: the instance was not accepted and the sender must keep it.
   */
  async put(bytes: Uint8Array): Promise<string> {
    const name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.dcm`;
    const temporary = join(this.#tmp, name);
    const path = join(this.#dir, name);
    try {
      await writeDurably(temporary, bytes);
      await rename(temporary, path);
      await syncDir(this.#dir);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      throw new ClinferError('INBOX_UNAVAILABLE', `the DICOM inbox cannot be written (${code}); the instance was not stored: send it again later`, { cause: error });
    }
    return path;
  }

  async remove(paths: readonly string[]): Promise<void> {
    for (const path of paths) await rm(path, { force: true });
    if (paths.length > 0) await syncDir(this.#dir);
  }

  /** The instances waiting, oldest first. */
  async pending(): Promise<PendingInstance[]> {
    const names = (await readdir(this.#dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.dcm')).map((e) => e.name).sort();
    return names.map((name) => ({ id: idOf(name), path: join(this.#dir, name) }));
  }

  /** What a previous run left, oldest first, with the bytes. */
  async leftovers(): Promise<{ path: string; bytes: Uint8Array }[]> {
    const pending = await this.pending();
    return Promise.all(pending.map(async (p) => ({ path: p.path, bytes: new Uint8Array(await readFile(p.path)) })));
  }

  /** Moves a waiting instance to dead-letter/, its reason beside it (the reason is written first). */
  async deadLetter(path: string, reason: Omit<DeadLetterReason, 'id' | 'time'>): Promise<DeadLetterReason> {
    const id = idOf(basename(path));
    const full: DeadLetterReason = { id, ...reason, time: new Date().toISOString() };
    const staged = join(this.#tmp, `${id}.json`);
    await rm(staged, { force: true });
    await writeDurably(staged, JSON.stringify(full, null, 2));
    await rename(staged, join(this.#dead, `${id}.json`));
    await rename(path, join(this.#dead, `${id}.dcm`));
    await syncDir(this.#dead);
    await syncDir(this.#dir);
    return full;
  }

  /** The dead-letter entries, oldest first; an entry whose reason file is missing or unreadable says so. */
  async deadLetters(): Promise<DeadLetterReason[]> {
    const entries: DeadLetterReason[] = [];
    // An inbox written before dead-letter/ existed has none yet.
    const names = await readdir(this.#dead).catch((error: NodeJS.ErrnoException) => { if (error.code === 'ENOENT') return []; throw error; });
    for (const name of names.filter((n) => n.endsWith('.dcm')).sort()) {
      const id = idOf(name);
      try {
        const reason = JSON.parse(await readFile(join(this.#dead, `${id}.json`), 'utf8')) as DeadLetterReason;
        entries.push({ ...reason, id });
      } catch {
        const time = (await stat(join(this.#dead, name))).mtime.toISOString();
        entries.push({ id, code: 'UNKNOWN', message: 'the reason file is missing or unreadable', models: [], study: undefined, time });
      }
    }
    return entries;
  }

  /** Moves dead-letter entries (all, or those named) back to waiting; resolves with the ids moved. */
  async retry(ids?: readonly string[]): Promise<{ moved: string[]; unknown: string[] }> {
    const present = new Set((await this.deadLetters()).map((e) => e.id));
    const wanted = ids ?? [...present];
    const moved: string[] = [];
    const unknown: string[] = [];
    for (const id of wanted) {
      if (!ID.test(id) || !present.has(id)) {
        unknown.push(id);
        continue;
      }
      await rename(join(this.#dead, `${id}.dcm`), join(this.#dir, `${id}.dcm`));
      await rm(join(this.#dead, `${id}.json`), { force: true });
      moved.push(id);
    }
    if (moved.length > 0) {
      await syncDir(this.#dir);
      await syncDir(this.#dead);
    }
    return { moved, unknown };
  }

  /** Deletes dead-letter entries: all, or those set aside before `before`; resolves with the ids deleted. */
  async purge(before?: Date): Promise<string[]> {
    const purged: string[] = [];
    for (const entry of await this.deadLetters()) {
      if (before && !(new Date(entry.time) < before)) continue;
      await rm(join(this.#dead, `${entry.id}.dcm`), { force: true });
      await rm(join(this.#dead, `${entry.id}.json`), { force: true });
      purged.push(entry.id);
    }
    if (purged.length > 0) await syncDir(this.#dead);
    return purged;
  }
}

function idOf(name: string): string {
  return name.replace(/\.(dcm|json)$/, '');
}
