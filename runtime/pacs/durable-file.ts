import { open } from 'node:fs/promises';

/**
 * Writes a new file and fsyncs it before resolving (it must not exist yet). Created 0600: inbox and outbox
 * files hold patient images and results, readable by the server's user only (like the audit log).
 */
export async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a folder, so that the names created or renamed in it survive a crash. */
export async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
