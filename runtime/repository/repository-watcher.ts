import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { ModelRepository } from './model-repository.js';

const QUIET_MS = 1000;
const SETTLE_MS = 500;

/**
 * Watch mode: a model folder that changes (a version copied in, a bundle replaced) is loaded again once
 * its files have stopped changing: no event for a second, then the same names, sizes and times twice,
 * half a second apart. A half-copied version is therefore never loaded.
 */
export class RepositoryWatcher {
  readonly #root: string;
  readonly #repository: ModelRepository;
  readonly #log: Logger;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #loaded = new Map<string, string>();
  #watcher: FSWatcher | undefined;

  constructor(root: string, repository: ModelRepository, log: Logger) {
    this.#root = root;
    this.#repository = repository;
    this.#log = log;
  }

  start(): void {
    this.#watcher = watch(this.#root, { recursive: true }, (_event, file) => {
      const name = file?.toString().split(/[\\/]/)[0];
      if (!name || name.startsWith('.')) return;
      clearTimeout(this.#timers.get(name));
      this.#timers.set(name, setTimeout(() => void this.#settle(name), QUIET_MS));
    });
    this.#watcher.on('error', (error) => this.#log.warn('repository watch failed', { error: error.message }));
  }

  stop(): void {
    this.#watcher?.close();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  async #settle(name: string): Promise<void> {
    this.#timers.delete(name);
    const first = await fingerprint(join(this.#root, name));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const second = await fingerprint(join(this.#root, name));
    if (first !== second) {
      this.#timers.set(name, setTimeout(() => void this.#settle(name), QUIET_MS));
      return;
    }
    if (second === '' || this.#loaded.get(name) === second) return;
    this.#loaded.set(name, second);
    this.#log.info('repository change picked up', { model: name });
    await this.#repository.load(name).catch((error: Error) => this.#log.warn('reload after a change failed', { model: name, reason: error.message }));
  }
}

/** Names, sizes and modification times of every file under a model folder. */
async function fingerprint(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory() && depth < 2) await walk(p, depth + 1);
      else if (e.isFile()) {
        const s = await stat(p).catch(() => undefined);
        if (s) parts.push(`${p}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  await walk(dir, 0);
  return parts.sort().join('|');
}
