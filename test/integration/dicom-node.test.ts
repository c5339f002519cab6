import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicomInfo } from '../../adapters/imaging/dicom/index.js';
import { Inbox } from '../../runtime/dicom-node/inbox.js';
import { startDimseScp } from '../../runtime/pacs/dimse-scp.js';
import type { ClinferServer } from '../../runtime/server.js';
import { storescu, StoreScp } from '../helpers/dcmtk.js';
import { metricValue, untilMetric } from '../helpers/metrics.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * clinfer as a DICOM node between modalities and a PACS: STOW-RS and C-STORE in, the routed model runs,
 * and a DICOM SR goes out through the durable outbox to a real C-STORE SCP (dcmtk storescp).
 */
const DICOM = join(FIXTURES, 'dicom/pydicom');
const CR1 = join(DICOM, 'dicomdir_cr_ct_mr/77654033_CR1_6154');
const CR2 = join(DICOM, 'dicomdir_cr_ct_mr/77654033_CR2_6247');
const CT = join(DICOM, 'CT_small.dcm');
const TRUNCATED_MR = join(DICOM, 'MR_truncated.dcm');
const SR_DOC = join(DICOM, 'reportsi.dcm');

let server: ClinferServer;
let archive: StoreScp;
const outbox = mkdtempSync(join(tmpdir(), 'clinfer-outbox-'));

const dump = (tool: string, file: string, args: string[] = []) => {
  try {
    return execFileSync(tool, [...args, file], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error: any) {
    return `${error.stdout ?? ''}${error.stderr ?? ''}`;
  }
};
const tag = (file: string, t: string) => /\[([^\]]*)\]/.exec(dump('dcmdump', file, ['+P', t]))?.[1];

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stow(files: string[], extraParts: Buffer[] = []) {
  const boundary = 'stow-boundary-1';
  const parts = [...files.map((f) => readFileSync(f)), ...extraParts];
  const body = Buffer.concat([
    ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' } });
}

beforeAll(async () => {
  archive = await StoreScp.start({ aeTitle: 'ARCHIVE' });
  server = await startTestServer(DEMO_MODELS, {
    dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR', 'MR'] }],
    dicomScp: { aeTitle: 'CLINFER', port: 0 },
    dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
    outboxDir: outbox,
    deliveryRetry: { initialMs: 50, maxMs: 500 },
  });
});
afterAll(async () => {
  await server?.close();
  await archive?.stop();
});

describe('the DICOM node', () => {
  it('answers STOW-RS with the standard store response: processed, unrouted (warning) and failed instances', async () => {
    const res = await stow([CR1, CT, TRUNCATED_MR]);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/application\/dicom\+json/);
    const body = (await res.json()) as any;
    const referenced = body['00081199'].Value;
    const failed = body['00081198'].Value;
    expect(referenced.map((r: any) => r['00081155'].Value[0])).toEqual([tag(CR1, '0008,0018'), tag(CT, '0008,0018')]);
    expect(referenced[0]['00081196']).toBeUndefined();
    expect(referenced[1]['00081196'].Value).toEqual([0xb000]);
    expect(failed).toHaveLength(1);
    expect(failed[0]['00081155'].Value).toEqual([readDicomInfo(readFileSync(TRUNCATED_MR)).sopInstanceUID]);
    expect(failed[0]['00081197'].Value).toEqual([0xc000]);
  });

  it('delivers a valid SR to the archive that references the source and carries the model output', async () => {
    const cr1Uid = tag(CR1, '0008,0018')!;
    const sr = await until('the SR at the archive', () => archive.files().find((f) => dump('dsrdump', f, ['+Pu']).includes(cr1Uid)));
    const report = dump('dsrdump', sr, ['+Pu']);
    expect(report).toMatch(/Imaging Measurement Report/);
    expect(report).toMatch(/chest-xray-pneumonia/);
    expect(tag(sr, '0020,000d')).toBe(tag(CR1, '0020,000d'));
    expect(tag(sr, '0008,0060')).toBe('SR');
    // The score equals the server's own /v1 predict on the same file.
    const predicted = (await (await fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: readFileSync(CR1), headers: { 'content-type': 'application/dicom' } })).json()) as any;
    const top = predicted.predictions[0];
    expect(report).toContain(top.label.text);
    const probabilities = [...report.matchAll(/Probability.*?="([0-9.eE+-]+)"/g)].map((m) => Number(m[1]));
    expect(probabilities.some((p) => Math.abs(p - top.score) < 1e-4)).toBe(true);
    expect(dump('dciodvfy', sr)).not.toMatch(/^Error/m);
    const header = dump('dcmdump', sr, ['+L']);
    expect(header).toMatch(/ContributingEquipmentSequence/);
    expect(header).toMatch(/Not a medical device: research and demonstration use only, not for diagnostic use/);
  });

  it('takes C-STORE from a modality and sends the result when the association is released', async () => {
    const before = archive.files().length;
    const sent = await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [CR2] });
    expect(sent.code).toBe(0);
    const cr2Uid = tag(CR2, '0008,0018')!;
    const sr = await until('the SR for the C-STORE instance', () => archive.files().find((f) => dump('dsrdump', f, ['+Pu']).includes(cr2Uid)));
    expect(archive.files().length).toBe(before + 1);
    expect(dump('dsrdump', sr, ['+Pu'])).toMatch(/chest-xray-pneumonia/);
    expect(await metricValue(server.url, 'clinfer_dicom_instances_received_total', { source: 'cstore', outcome: 'processed' })).toBe(1);
    expect(await metricValue(server.url, 'clinfer_dicom_instances_received_total', { source: 'stowrs', outcome: 'failed' })).toBe(1);
    expect(await untilMetric(server.url, 'clinfer_dicom_results_total', { destination: 'archive', event: 'delivered' }, (v) => v >= 2)).toBe(2);
  });

  it('refuses what STOW-RS cannot take, with the reason', async () => {
    const wrongType = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: 'x', headers: { 'content-type': 'application/json' } });
    expect(wrongType.status).toBe(415);
    const res = await stow([SR_DOC], [Buffer.from('not dicom at all')]);
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body['00081198'].Value[0]['00081197'].Value).toEqual([0xc000]);
  });

  it('holds each C-STOREd instance on disk before answering success, until its association is processed', async () => {
    const inbox = new Inbox(mkdtempSync(join(tmpdir(), 'clinfer-inbox-')));
    await inbox.init();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const handed: string[][] = [];
    const scp = await startDimseScp({
      aeTitle: 'GATED', port: 0,
      persistInstance: (bytes) => inbox.put(bytes),
      onAssociation: async (association) => {
        handed.push(association.persisted);
        await gate;
        await inbox.remove(association.persisted);
      },
    });
    try {
      expect((await storescu({ port: scp.port, calledAeTitle: 'GATED', files: [CR1, CR2] })).code).toBe(0);
      // The sender has its two successes; the instances are on disk, whole, while processing has not finished.
      const held = await inbox.leftovers();
      expect(held).toHaveLength(2);
      expect(held.map((h) => readDicomInfo(h.bytes).sopInstanceUID).sort()).toEqual([tag(CR1, '0008,0018'), tag(CR2, '0008,0018')].sort());
      release();
      await until('the inbox emptied', () => (handed.length === 1 && readdirSync(join(held[0]!.path, '..')).filter((f) => f.endsWith('.dcm')).length === 0 ? true : undefined));
    } finally {
      release();
      await scp.close();
    }
  });

  it('processes on start what a previous run received and did not finish, and empties the inbox', async () => {
    const inboxDir = mkdtempSync(join(tmpdir(), 'clinfer-inbox-'));
    mkdirSync(join(inboxDir, 'tmp'));
    // As a crash would leave it: a whole instance in the inbox, and a half-written one in tmp/.
    copyFileSync(CR1, join(inboxDir, '0000-left-by-a-crash.dcm'));
    copyFileSync(CR2, join(inboxDir, 'tmp', 'half-written.dcm'));
    const before = archive.files().length;
    const restarted = await startTestServer(DEMO_MODELS, {
      dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR'] }],
      dicomScp: { aeTitle: 'CLINFER', port: 0 },
      dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
      inboxDir,
      deliveryRetry: { initialMs: 50, maxMs: 500 },
    });
    try {
      await until('the recovered result at the archive', () => (archive.files().length > before ? true : undefined));
      expect(await metricValue(restarted.url, 'clinfer_dicom_instances_received_total', { source: 'cstore', outcome: 'processed' })).toBe(1);
      expect(readdirSync(inboxDir).filter((f) => f.endsWith('.dcm'))).toEqual([]);
      expect(readdirSync(join(inboxDir, 'tmp'))).toEqual([]);
    } finally {
      await restarted.close();
    }
  });
});
