import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeDurably } from '../pacs/durable-file.js';

/**
 * Instances received by C-STORE, on disk from the moment the sender is told "stored" until their results
 * are queued: a crash or restart in between loses none (the next start processes what is left here).
 * Files are written to tmp/, fsynced, then renamed into place (the folder fsynced too), so a file in the
 * folder is always whole.
 */
export class Inbox {
  readonly #dir: string;
  readonly #tmp: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.#tmp = join(dir, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.#tmp, { recursive: true });
    // Half-written files from a crash: their C-STORE was never answered success, the sender still has them.
    for (const name of await readdir(this.#tmp)) await rm(join(this.#tmp, name), { force: true });
  }

  /** Writes one Part 10 instance durably; resolves with its path. */
  async put(bytes: Uint8Array): Promise<string> {
    const name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.dcm`;
    const temporary = join(this.#tmp, name);
    await writeDurably(temporary, bytes);
    const path = join(this.#dir, name);
    await rename(temporary, path);
    await syncDir(this.#dir);
    return path;
  }

  async remove(paths: readonly string[]): Promise<void> {
    for (const path of paths) await rm(path, { force: true });
  }

  /** What a previous run left, oldest first. */
  async leftovers(): Promise<{ path: string; bytes: Uint8Array }[]> {
    const names = (await readdir(this.#dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.dcm')).map((e) => e.name).sort();
    return Promise.all(names.map(async (name) => ({ path: join(this.#dir, name), bytes: new Uint8Array(await readFile(join(this.#dir, name))) })));
  }
}
