import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * An inbox that cannot be written (disk full, read-only, not permitted) refuses the instance loudly:
 * STOW-RS answers 503 INBOX_UNAVAILABLE (the sender keeps it), never 500, never "stored" and then lost.
 */
describe('an unwritable DICOM inbox', () => {
  const inboxDir = join(mkdtempSync(join(tmpdir(), 'clinfer-inbox-')), 'inbox');
  let server: ClinferServer;

  beforeAll(async () => {
    server = await startTestServer(DEMO_MODELS, {
      workers: 1, grpcPort: -1, inboxDir, dicomStudySettleMs: 200,
      dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR'] }],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('answers STOW-RS 503 INBOX_UNAVAILABLE naming the cause, and keeps nothing half-written', async () => {
    // The folder instances are written into becomes a file: every write fails (ENOTDIR), as on a broken volume.
    rmSync(join(inboxDir, 'tmp'), { recursive: true, force: true });
    writeFileSync(join(inboxDir, 'tmp'), '');
    const boundary = 'b';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(join(FIXTURES, 'dicom-scope/chest-cr-paediatric.dcm')), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const res = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'INBOX_UNAVAILABLE', error: expect.stringMatching(/inbox cannot be written \(ENOTDIR\).*send it again/) });
    expect(readdirSync(inboxDir).filter((f) => f.endsWith('.dcm'))).toEqual([]);
  });
});
