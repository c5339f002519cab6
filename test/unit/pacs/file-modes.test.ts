import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDurably } from '../../../runtime/pacs/durable-file.js';
import { OutboxStore } from '../../../runtime/pacs/outbox-store.js';

/** Inbox and outbox files hold patient images and results: the server's user alone may read them. */
const root = mkdtempSync(join(tmpdir(), 'clinfer-modes-'));
const mode = (path: string) => statSync(path).mode & 0o777;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('inbox and outbox files', () => {
  it('are created 0600 by the durable write (the inbox and the outbox both use it)', async () => {
    const previous = process.umask(0);
    try {
      await writeDurably(join(root, 'instance.dcm'), new Uint8Array([1, 2, 3]));
    } finally {
      process.umask(previous);
    }
    expect(mode(join(root, 'instance.dcm'))).toBe(0o600);
  });

  it('are 0600 in 0700 folders in the outbox, failure notes included', async () => {
    const previous = process.umask(0);
    try {
      const store = new OutboxStore(join(root, 'outbox'));
      await store.init();
      const id = OutboxStore.newId();
      await store.write({ id, destination: 'pacs', kind: 'sr', studyInstanceUID: '1.2.3', createdAt: Date.now() }, [new Uint8Array([1])]);
      const item = join(root, 'outbox', 'pending', id);
      for (const dir of ['tmp', 'pending', 'failed']) expect(mode(join(root, 'outbox', dir)), dir).toBe(0o700);
      expect(mode(item)).toBe(0o700);
      for (const file of readdirSync(item)) expect(mode(join(item, file)), file).toBe(0o600);
      await store.moveToFailed(id, { reason: 'too old', attempts: 9 });
      const failed = join(root, 'outbox', 'failed', id);
      for (const file of readdirSync(failed)) expect(mode(join(failed, file)), file).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });
});
