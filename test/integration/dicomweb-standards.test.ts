import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../../runtime/dicom-node/inbox.js';
import type { ClinferServer } from '../../runtime/server.js';
import { chestRadiograph } from '../fixtures/dicom-scope/chest.js';
import { StoreScp } from '../helpers/dcmtk.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';
import { readFileSync } from 'node:fs';

/**
 * STOW-RS as a PACS administrator sees it: patients' names in ISO 2022 (Japanese, Korean), GB18030 and
 * Cyrillic each yield an SR at the archive that shows the name as sent; an MR routed to the chest model yields
 * no SR and a dead-letter entry naming OUT_OF_SCOPE; an Accept only for XML is 406 before anything is kept.
 */
const ESC = 0x1b;
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const bytes = (...parts: (string | number[])[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? ascii(p) : p)));
const JIS = [ESC, 0x24, 0x42];
const ASCII = [ESC, 0x28, 0x42];
const KSC = [ESC, 0x24, 0x29, 0x43];

const NAMES = [
  { serial: 11, charset: '\\ISO 2022 IR 87', name: bytes('Yamada^Tarou=', JIS, ';3ED', ASCII, '^', JIS, 'B@O:', ASCII, '=', JIS, '$d$^$@', ASCII, '^', JIS, '$?$m$&', ASCII), expected: 'Yamada^Tarou=山田^太郎=やまだ^たろう' },
  { serial: 12, charset: '\\ISO 2022 IR 149', name: bytes('Hong^Gildong=', KSC, [0xfb, 0xf3], '^', KSC, [0xd1, 0xce, 0xd4, 0xd7], '=', KSC, [0xc8, 0xab], '^', KSC, [0xb1, 0xe6, 0xb5, 0xbf]), expected: 'Hong^Gildong=洪^吉洞=홍^길동' },
  { serial: 13, charset: 'GB18030', name: bytes('Wang^XiaoDong=', [0xcd, 0xf5], '^', [0xd0, 0xa1, 0xb6, 0xab], '='), expected: 'Wang^XiaoDong=王^小东=' },
  { serial: 14, charset: 'ISO_IR 144', name: new Uint8Array([0xb8, 0xd2, 0xd0, 0xdd, 0xde, 0xd2, 0x5e, 0xb8, 0xd2, 0xd0, 0xdd]), expected: 'Иванов^Иван' },
];

let server: ClinferServer;
let archive: StoreScp;
const scratch = mkdtempSync(join(tmpdir(), 'clinfer-dicomweb-'));
const inboxDir = join(scratch, 'inbox');

const dump = (file: string, args: string[] = []) => execFileSync('dcmdump', [...args, file], { encoding: 'utf8', timeout: 15_000 });
const tag = (file: string, t: string) => /\[([^\]]*)\]/.exec(dump(file, ['+P', t]))?.[1];

function stow(parts: Uint8Array[], headers: Record<string, string> = {}) {
  const boundary = 'b-standards';
  const body = Buffer.concat([
    ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(p), Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, ...headers } });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

beforeAll(async () => {
  archive = await StoreScp.start({ aeTitle: 'ARCHIVE' });
  server = await startTestServer(DEMO_MODELS, {
    dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR', 'DX', 'MR'] }],
    dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
    inboxDir,
    outboxDir: join(scratch, 'outbox'),
    deliveryRetry: { initialMs: 50, maxMs: 500 },
    dicomStudySettleMs: 300,
  });
});
afterAll(async () => {
  await server?.close();
  await archive?.stop();
});

describe('STOW-RS standards details', () => {
  it('yields one SR per study whose Patient Name, in UTF-8, is the name the source spelt in its own character set', async () => {
    const files = NAMES.map((n) => chestRadiograph({ serial: n.serial, charset: n.charset, patientName: n.name }));
    const res = await stow(files);
    expect(res.status).toBe(200);
    for (const n of NAMES) {
      const study = `1.2.826.0.1.3680043.8.498.91.${n.serial}`;
      const sr = await until(`the SR of ${n.charset}`, () => archive.files().find((f) => tag(f, '0008,0060') === 'SR' && tag(f, '0020,000d') === study));
      expect(tag(sr, '0008,0005')).toBe('ISO_IR 192');
      expect(tag(sr, '0010,0010'), n.charset).toBe(n.expected);
    }
  });

  it('routes an MR to the chest model into no SR: a dead-letter entry names OUT_OF_SCOPE and the condition', async () => {
    const mr = readFileSync(join(FIXTURES, 'dicom/pydicom/MR_small.dcm'));
    const study = tag(join(FIXTURES, 'dicom/pydicom/MR_small.dcm'), '0020,000d')!;
    expect((await stow([mr])).status).toBe(200);
    const inbox = new Inbox(inboxDir);
    const entry = await until('the dead-letter entry', async () => (await inbox.deadLetters()).find((e) => e.code === 'OUT_OF_SCOPE'));
    expect(entry.message).toContain('Modality MR is not among CR, DX');
    expect(archive.files().filter((f) => tag(f, '0020,000d') === study)).toEqual([]);
  });

  it('refuses Accept: application/dicom+xml with 406 before storing anything', async () => {
    const res = await stow([chestRadiograph({ serial: 21 })], { accept: 'application/dicom+xml' });
    expect(res.status).toBe(406);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_ACCEPTABLE');
    const ok = await stow([chestRadiograph({ serial: 22 })], { accept: 'application/dicom+json, application/dicom+xml;q=0.5' });
    expect(ok.status).toBe(200);
    // The accepted instance's SR reaches the archive; the refused one's never does (it was not stored).
    await until('the SR of the accepted instance', () => archive.files().find((f) => tag(f, '0008,0060') === 'SR' && tag(f, '0020,000d') === '1.2.826.0.1.3680043.8.498.91.22'));
    expect(archive.files().filter((f) => tag(f, '0020,000d') === '1.2.826.0.1.3680043.8.498.91.21')).toEqual([]);
  });
});
