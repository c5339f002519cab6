import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILE } from '../bundle/read-bundle.js';

/**
 * Where things are in a model repository: Triton's `<root>/<model>/<version>/`, or KServe's flat
 * folder holding the model itself. Names only; what the folders hold is read elsewhere.
 */
export const VERSION_DIR = /^[1-9][0-9]*$/;
export const MODEL_DIR = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MODEL_FILES = [BUNDLE_FILE, 'model.onnx', 'model.ort'];
const LEFTOVER = /^\.(staging|trash)-/;

/** Whether the folder holds a model itself (a bundle or a bare model file) rather than version folders. */
export async function holdsModel(dir: string): Promise<boolean> {
  for (const file of MODEL_FILES) if ((await stat(join(dir, file)).catch(() => undefined))?.isFile()) return true;
  return false;
}

/** The version folder names under a model folder, in directory order; rejects when the folder cannot be read. */
export async function versionFolders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && VERSION_DIR.test(e.name)).map((e) => e.name);
}

/** Version folder names below `version`, newest first ([] when the folder cannot be read). */
export async function olderVersions(dir: string, version: string, except: readonly string[] = []): Promise<string[]> {
  return (await versionFolders(dir).catch(() => []))
    .filter((v) => Number(v) < Number(version) && !except.includes(v))
    .sort((a, b) => Number(b) - Number(a));
}

/** A crash mid-deploy or mid-delete leaves its staging or trash folder (never served): removed at start. */
export async function removeLeftovers(root: string, entries: readonly Dirent[]): Promise<void> {
  for (const e of entries) if (e.isDirectory() && LEFTOVER.test(e.name)) await rm(join(root, e.name), { recursive: true, force: true });
}

/** A fresh staging folder's path on the repository's own file system (so that the final rename is atomic). */
export function stagingPath(root: string): string {
  return join(root, `.staging-${randomUUID()}`);
}

/** Moves a folder out of the repository's view at once (one rename); the caller deletes what it returns. */
export async function moveToTrash(root: string, dir: string): Promise<string> {
  const trash = join(root, `.trash-${randomUUID()}`);
  await rename(dir, trash);
  return trash;
}
