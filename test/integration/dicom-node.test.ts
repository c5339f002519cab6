import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDicomInfo } from '../../adapters/imaging/dicom/index.js';
import { inboxCommand } from '../../runtime/cli/inbox-command.js';
import { Inbox } from '../../runtime/dicom-node/inbox.js';
import { studyHash } from '../../runtime/dicom-node/failure.js';
import { startDimseScp } from '../../runtime/pacs/dimse-scp.js';
import type { ClinferServer } from '../../runtime/server.js';
import { storescu, StoreScp } from '../helpers/dcmtk.js';
import { metricValue } from '../helpers/metrics.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * clinfer as a DICOM node between modalities and a PACS: STOW-RS and C-STORE in, each study collected until
 * it has settled, the routed model run once, one DICOM SR per model and study out through the durable
 * outbox to a real C-STORE SCP (dcmtk storescp). Nothing accepted is lost: transient failures are retried,
 * permanent ones set aside in the inbox's dead-letter folder with the reason.
 */
const DICOM = join(FIXTURES, 'dicom/pydicom');
// A paediatric frontal chest CR, as the demo model was made for (synthetic; other files are out of its scope).
const CHEST = join(FIXTURES, 'dicom-scope/chest-cr-paediatric.dcm');
const CT = join(DICOM, 'CT_small.dcm');
const TRUNCATED_MR = join(DICOM, 'MR_truncated.dcm');
const SR_DOC = join(DICOM, 'reportsi.dcm');
const SETTLE_MS = 1500;
const UID = '1.2.826.0.1.3680043.10.543';

let server: ClinferServer;
let archive: StoreScp;
const scratch = mkdtempSync(join(tmpdir(), 'clinfer-dicom-node-'));
const inboxDir = join(scratch, 'inbox');

const dump = (tool: string, file: string, args: string[] = []) => {
  try {
    return execFileSync(tool, [...args, file], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error: any) {
    return `${error.stdout ?? ''}${error.stderr ?? ''}`;
  }
};
const tag = (file: string, t: string) => /\[([^\]]*)\]/.exec(dump('dcmdump', file, ['+P', t]))?.[1];

/** A copy of `file` with other UIDs: another instance (and series, study) for tests that need more of them. */
function variant(file: string, name: string, uids: { study?: string; series?: string; sop: string }, erase: string[] = []): string {
  const out = join(scratch, name);
  copyFileSync(file, out);
  const edits = [['0008,0018', uids.sop], ...(uids.series ? [['0020,000e', uids.series]] : []), ...(uids.study ? [['0020,000d', uids.study]] : [])];
  execFileSync('dcmodify', ['-nb', '-gin', ...edits.flatMap(([t, v]) => ['-m', `(${t})=${v}`]), ...erase.flatMap((t) => ['-ea', `(${t})`]), out], { timeout: 15_000 });
  return out;
}

/** One study, two series: the instances most tests send. */
const CR1 = variant(CHEST, 'cr1.dcm', { study: `${UID}.1`, series: `${UID}.1.1`, sop: `${UID}.1.1.1` });
const CR2 = variant(CHEST, 'cr2.dcm', { study: `${UID}.1`, series: `${UID}.1.2`, sop: `${UID}.1.2.1` });

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The SRs at the archive filed in `study`. */
const srsOf = (study: string) => archive.files().filter((f) => tag(f, '0008,0060') === 'SR' && tag(f, '0020,000d') === study);
const inboxPending = async () => Number(/^clinfer_dicom_inbox_pending (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? NaN);
/** Waits until nothing is in the inbox or outbox: every study processed, every result delivered. */
const quiet = () => until('the inbox and outbox empty', async () => ((await inboxPending()) === 0 && (await metricValue(server.url, 'clinfer_dicom_results_pending', { destination: 'archive' })) === 0 ? true : undefined));

function stow(files: string[], extraParts: Buffer[] = []) {
  const boundary = 'stow-boundary-1';
  const parts = [...files.map((f) => readFileSync(f)), ...extraParts];
  const body = Buffer.concat([
    ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' } });
}

async function cli(...args: string[]) {
  const lines: string[] = [];
  const code = await inboxCommand([...args, '--inbox', inboxDir], { log: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, text: lines.join('\n') };
}

beforeAll(async () => {
  archive = await StoreScp.start({ aeTitle: 'ARCHIVE' });
  server = await startTestServer(DEMO_MODELS, {
    dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR', 'MR'] }],
    dicomScp: { aeTitle: 'CLINFER', port: 0 },
    dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
    inboxDir,
    outboxDir: join(scratch, 'outbox'),
    deliveryRetry: { initialMs: 50, maxMs: 500 },
    dicomStudySettleMs: SETTLE_MS,
    dicomProcessingRetry: { initialMs: 200, maxMs: 1000, maxAgeMs: 600_000 },
  });
});
afterAll(async () => {
  await server?.close();
  await archive?.stop();
});

describe('the DICOM node', () => {
  const study = tag(CR1, '0020,000d')!;

  it('sends one SR per model and study that arrived in several associations and a STOW-RS request', async () => {
    const cr3 = variant(CR1, 'cr3.dcm', { series: `${UID}.1.3`, sop: `${UID}.1.3.1` });
    expect((await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [CR1] })).code).toBe(0);
    expect((await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [CR2] })).code).toBe(0);
    // CR1 again, as a sender retrying would: it counts once.
    expect((await stow([cr3, CR1])).status).toBe(200);
    await until('the SR', () => (srsOf(study).length > 0 ? true : undefined));
    await quiet();
    const srs = srsOf(study);
    expect(srs).toHaveLength(1);
    const report = dump('dsrdump', srs[0]!, ['+Pu']);
    for (const f of [CR1, CR2, cr3]) expect(report).toContain(tag(f, '0008,0018')!);
    expect(report.match(/chest-xray-pneumonia finding \d+/g)).toEqual(['chest-xray-pneumonia finding 1', 'chest-xray-pneumonia finding 2', 'chest-xray-pneumonia finding 3']);
    expect(tag(srs[0]!, '0020,0011')).toBe('9001');
    expect(tag(srs[0]!, '0020,0013')).toBe('1');
    expect(dump('dciodvfy', srs[0]!)).not.toMatch(/^Error/m);
    // The score equals the server's own /v1 predict on the same file.
    const predicted = (await (await fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: readFileSync(CR1), headers: { 'content-type': 'application/dicom' } })).json()) as any;
    const probabilities = [...report.matchAll(/Probability.*?="([0-9.eE+-]+)"/g)].map((m) => Number(m[1]));
    expect(probabilities.some((p) => Math.abs(p - predicted.predictions[0].score) < 1e-4)).toBe(true);
    expect(dump('dcmdump', srs[0]!, ['+L'])).toMatch(/Not a medical device: research and demonstration use only, not for diagnostic use/);
    expect(await metricValue(server.url, 'clinfer_dicom_instances_received_total', { source: 'cstore', outcome: 'accepted' })).toBe(2);
    expect(await metricValue(server.url, 'clinfer_dicom_instances_received_total', { source: 'stowrs', outcome: 'accepted' })).toBe(2);
  });

  it('sends nothing again for an instance sent twice, and a superseding SR when the study grows later', async () => {
    const [first] = srsOf(study);
    expect((await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [CR2] })).code).toBe(0);
    const cr4 = variant(CR1, 'cr4.dcm', { series: `${UID}.1.4`, sop: `${UID}.1.4.1` });
    expect((await stow([cr4])).status).toBe(200);
    await until('the second SR', () => (srsOf(study).length > 1 ? true : undefined));
    await quiet();
    const srs = srsOf(study);
    expect(srs).toHaveLength(2);
    const later = srs.find((f) => f !== first)!;
    // Same result series, the next instance number, the earlier SR named as predecessor, the full evidence.
    expect(tag(later, '0020,000e')).toBe(tag(first!, '0020,000e'));
    expect(tag(later, '0020,0011')).toBe('9001');
    expect(tag(later, '0020,0013')).toBe('2');
    const header = dump('dcmdump', later, ['+L']);
    expect(header).toMatch(/PredecessorDocumentsSequence/);
    expect(header).toContain(`[${tag(first!, '0008,0018')}]`);
    const report = dump('dsrdump', later, ['+Pu']);
    for (const f of [CR1, CR2, cr4]) expect(report).toContain(tag(f, '0008,0018')!);
    expect(dump('dciodvfy', later)).not.toMatch(/^Error/m);
  });

  it('answers STOW-RS with the standard store response: accepted, unrouted and refused instances', async () => {
    const res = await stow([CT, TRUNCATED_MR, SR_DOC], [Buffer.from('not dicom at all')]);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/application\/dicom\+json/);
    const body = (await res.json()) as any;
    const referenced = body['00081199'].Value;
    expect(referenced.map((r: any) => r['00081155'].Value[0])).toEqual([tag(CT, '0008,0018'), readDicomInfo(readFileSync(TRUNCATED_MR)).sopInstanceUID, tag(SR_DOC, '0008,0018')]);
    // Unrouted is a plain success: PS3.18 defines no Warning Reason for "stored, nothing to run" (B000 is coercion).
    expect(referenced[0]['00081196']).toBeUndefined();
    expect(referenced[1]['00081196']).toBeUndefined();
    expect(body['00081198'].Value).toHaveLength(1);
    expect(body['00081198'].Value[0]['00081197'].Value).toEqual([0xc000]);
    const wrongType = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: 'x', headers: { 'content-type': 'application/json' } });
    expect(wrongType.status).toBe(415);
    // STOW-RS into one study refuses an instance of another before keeping or running it.
    const other = await fetch(`${server.url}/dicomweb/studies/1.2.3.4`, { method: 'POST', body: Buffer.concat([Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\n'), readFileSync(CR1), Buffer.from('\r\n--b--\r\n')]), headers: { 'content-type': 'multipart/related; type="application/dicom"; boundary=b' } });
    expect(other.status).toBe(409);
    expect(((await other.json()) as any)['00081198'].Value[0]['00081197'].Value).toEqual([0xa900]);
  });

  it('sets an accepted file that cannot be processed aside in dead-letter with the reason; clinfer inbox lists, retries and purges it', async () => {
    // The truncated MR came by STOW-RS above (answered stored); a CR without pixel data now comes by C-STORE.
    const noPixels = variant(CR1, 'no-pixels.dcm', { study: `${UID}.40`, sop: `${UID}.40.1` }, ['7fe0,0010']);
    expect((await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [noPixels] })).code).toBe(0);
    const dead = await until('two dead-letter entries', async () => {
      const entries = await new Inbox(inboxDir).deadLetters();
      return entries.length === 2 ? entries : undefined;
    });
    const mr = dead.find((e) => e.study === studyHash(readDicomInfo(readFileSync(TRUNCATED_MR)).studyInstanceUID))!;
    const cr = dead.find((e) => e.study === studyHash(`${UID}.40`))!;
    expect(mr).toMatchObject({ models: ['chest-xray-pneumonia'] });
    expect(mr.code).toMatch(/^(INVALID_DICOM|INVALID_IMAGE)$/);
    expect(cr).toMatchObject({ models: ['chest-xray-pneumonia'], code: 'NO_PIXEL_DATA' });
    for (const entry of dead) expect(entry.message.length).toBeGreaterThan(10);
    // Counted once the move is durable (the folders fsynced), a moment after the entries show in dead-letter/.
    const counted = async (code: string) => until(`the ${code} dead-letter count`, async () => (await metricValue(server.url, 'clinfer_dicom_dead_lettered_total', { code })) || undefined);
    expect(await counted('NO_PIXEL_DATA')).toBe(1);
    expect(await counted(mr.code)).toBe(1);
    // No patient data, no UID in what the CLI shows; the hashed study and the reason are there.
    const listed = await cli('list');
    expect(listed.code).toBe(0);
    expect(listed.text).toMatch(/0 waiting, 2 in dead-letter/);
    expect(listed.text).toContain(mr.study);
    expect(listed.text).toContain('NO_PIXEL_DATA');
    expect(listed.text).not.toMatch(/CompressedSamples|Child|SCOPE-|1\.2\.826\.0\.1\.3680043\.10\.543|20040826185059/);
    // retry: back to the inbox, picked up by the running server, and set aside again for the same reason.
    expect((await cli('retry')).code).toBe(2);
    expect((await cli('retry', 'no-such-id')).code).toBe(1);
    const retried = await cli('retry', cr.id);
    expect(retried.code).toBe(0);
    expect(retried.text).toMatch(/moved 1 dead-letter entry/);
    await until('the retried entry set aside again', async () => ((await metricValue(server.url, 'clinfer_dicom_dead_lettered_total', { code: 'NO_PIXEL_DATA' })) === 2 ? true : undefined), 20_000);
    expect((await new Inbox(inboxDir).deadLetters()).map((e) => e.id).sort()).toEqual(dead.map((e) => e.id).sort());
    // purge asks for --yes; --older-than keeps the recent ones.
    expect((await cli('purge')).code).toBe(2);
    expect((await cli('purge', '--yes', '--older-than', '1d')).text).toMatch(/deleted 0 dead-letter entries/);
    expect((await cli('purge', '--yes', '--older-than', 'soon')).code).toBe(2);
    expect((await cli('purge', '--yes')).text).toMatch(/deleted 2 dead-letter entries/);
    expect((await cli('list')).text).toMatch(/0 waiting, 0 in dead-letter/);
  });

  it('keeps a study while its model is unloaded, retries, and sends its one SR once the model is back', async () => {
    const uids = { study: `${UID}.50` };
    const a = variant(CR1, 'unload-a.dcm', { ...uids, series: `${uids.study}.1`, sop: `${uids.study}.1.1` });
    const b = variant(CR2, 'unload-b.dcm', { ...uids, series: `${uids.study}.2`, sop: `${uids.study}.2.1` });
    const admin = (action: 'load' | 'unload') => fetch(`${server.url}/v2/repository/models/chest-xray-pneumonia/${action}`, { method: 'POST' });
    const retriesBefore = await metricValue(server.url, 'clinfer_dicom_processing_retries_total', { code: 'MODEL_NOT_READY' });
    try {
      expect((await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [a] })).code).toBe(0);
      // The model goes away in the middle of the study.
      expect((await admin('unload')).status).toBe(200);
      expect((await stow([b])).status).toBe(200);
      await until('a retry for MODEL_NOT_READY', async () => ((await metricValue(server.url, 'clinfer_dicom_processing_retries_total', { code: 'MODEL_NOT_READY' })) >= retriesBefore + 2 ? true : undefined));
      expect(srsOf(uids.study)).toHaveLength(0);
      expect(await inboxPending()).toBe(2);
      expect((await new Inbox(inboxDir).pending())).toHaveLength(2);
    } finally {
      expect((await admin('load')).status).toBe(200);
    }
    await until('the SR after the model is back', () => (srsOf(uids.study).length > 0 ? true : undefined));
    await quiet();
    const srs = srsOf(uids.study);
    expect(srs).toHaveLength(1);
    const report = dump('dsrdump', srs[0]!, ['+Pu']);
    expect(report).toContain(`${uids.study}.1.1`);
    expect(report).toContain(`${uids.study}.2.1`);
    expect(tag(srs[0]!, '0020,0013')).toBe('1');
    expect(await new Inbox(inboxDir).pending()).toEqual([]);
    expect(await new Inbox(inboxDir).deadLetters()).toEqual([]);
  });

  it('sends one SR per model and series with groupBy series, each in its own result series', async () => {
    const uids = { study: `${UID}.70` };
    const a = variant(CR1, 'series-a.dcm', { ...uids, series: `${uids.study}.1`, sop: `${uids.study}.1.1` });
    const b = variant(CR2, 'series-b.dcm', { ...uids, series: `${uids.study}.2`, sop: `${uids.study}.2.1` });
    const bySeries = await startTestServer(DEMO_MODELS, {
      dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR'], groupBy: 'series' }],
      dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
      deliveryRetry: { initialMs: 50, maxMs: 500 },
      dicomStudySettleMs: 200,
    });
    try {
      const boundary = 'b';
      const body = Buffer.concat([...[a, b].flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(f), Buffer.from('\r\n')]), Buffer.from(`--${boundary}--\r\n`)]);
      expect((await fetch(`${bySeries.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` } })).status).toBe(200);
      const srs = await until('two SRs', () => (srsOf(uids.study).length === 2 ? srsOf(uids.study) : undefined));
      const bySource = new Map(srs.map((f) => [dump('dsrdump', f, ['+Pu']).includes(`${uids.study}.1.1`) ? 'a' : 'b', f]));
      expect(dump('dsrdump', bySource.get('a')!, ['+Pu'])).not.toContain(`${uids.study}.2.1`);
      expect(dump('dsrdump', bySource.get('b')!, ['+Pu'])).not.toContain(`${uids.study}.1.1`);
      expect(srs.map((f) => tag(f, '0020,0011')).sort()).toEqual(['9001', '9002']);
      expect(new Set(srs.map((f) => tag(f, '0020,000e'))).size).toBe(2);
    } finally {
      await bySeries.close();
    }
  });

  it('gives up on a transient cause after dicomProcessingRetry.maxAgeMs: dead-letter with the last code, nothing dropped', async () => {
    const ownInbox = mkdtempSync(join(tmpdir(), 'clinfer-inbox-'));
    const missing = await startTestServer(DEMO_MODELS, {
      // A rule naming a model not deployed (yet): retried, as a deployment may bring it, then set aside.
      dicomRoutes: [{ model: 'not-deployed-yet', modality: ['CR'] }],
      inboxDir: ownInbox,
      dicomStudySettleMs: 100,
      dicomProcessingRetry: { initialMs: 200, maxMs: 400, maxAgeMs: 1000 },
    });
    try {
      const boundary = 'b';
      const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(CR1), Buffer.from(`\r\n--${boundary}--\r\n`)]);
      expect((await fetch(`${missing.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` } })).status).toBe(200);
      const [entry] = await until('the dead-letter entry', async () => {
        const entries = await new Inbox(ownInbox).deadLetters();
        return entries.length > 0 ? entries : undefined;
      });
      expect(entry).toMatchObject({ code: 'MODEL_NOT_FOUND', models: ['not-deployed-yet'], study: studyHash(`${UID}.1`) });
      expect(entry!.message).toMatch(/^still failing after \d+ s of retries: model 'not-deployed-yet'/);
      expect(await metricValue(missing.url, 'clinfer_dicom_processing_retries_total', { code: 'MODEL_NOT_FOUND' })).toBeGreaterThanOrEqual(2);
      expect(await new Inbox(ownInbox).pending()).toEqual([]);
    } finally {
      await missing.close();
    }
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

  it('resumes on start what a previous run received and did not finish, and remembers across restarts what it sent', async () => {
    const leftInbox = mkdtempSync(join(tmpdir(), 'clinfer-inbox-'));
    mkdirSync(join(leftInbox, 'tmp'));
    // As a crash mid-settle would leave it: two whole instances of a study in the inbox, a half-written one in tmp/.
    const uids = { study: `${UID}.60` };
    copyFileSync(variant(CR1, 'left-a.dcm', { ...uids, sop: `${uids.study}.1` }), join(leftInbox, '0000-left-by-a-crash.dcm'));
    copyFileSync(variant(CR2, 'left-b.dcm', { ...uids, sop: `${uids.study}.2` }), join(leftInbox, '0001-left-by-a-crash.dcm'));
    copyFileSync(CR2, join(leftInbox, 'tmp', 'half-written.dcm'));
    const settings = {
      dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR'] }],
      dicomDestinations: [{ name: 'archive', kind: 'cstore' as const, host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
      inboxDir: leftInbox,
      deliveryRetry: { initialMs: 50, maxMs: 500 },
      dicomStudySettleMs: 200,
    };
    let restarted = await startTestServer(DEMO_MODELS, settings);
    try {
      await until('the recovered result at the archive', () => (srsOf(uids.study).length > 0 ? true : undefined));
      await until('the inbox emptied', () => (readdirSync(leftInbox).some((f) => f.endsWith('.dcm')) ? undefined : true));
      expect(srsOf(uids.study)).toHaveLength(1);
      const [first] = srsOf(uids.study);
      const report = dump('dsrdump', first!, ['+Pu']);
      expect(report).toContain(`${uids.study}.1`);
      expect(report).toContain(`${uids.study}.2`);
      expect(readdirSync(join(leftInbox, 'tmp'))).toEqual([]);

      // Another restart, then the study grows: what was sent is remembered on disk, the new SR supersedes it.
      await restarted.close();
      restarted = await startTestServer(DEMO_MODELS, settings);
      const body = Buffer.concat([Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\n'), readFileSync(variant(CR1, 'left-c.dcm', { ...uids, sop: `${uids.study}.3` })), Buffer.from('\r\n--b--\r\n')]);
      expect((await fetch(`${restarted.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': 'multipart/related; type="application/dicom"; boundary=b' } })).status).toBe(200);
      const later = await until('the superseding SR', () => srsOf(uids.study).find((f) => f !== first));
      expect(tag(later, '0020,000e')).toBe(tag(first!, '0020,000e'));
      expect(tag(later, '0020,0013')).toBe('2');
      expect(dump('dcmdump', later, ['+L'])).toContain(`[${tag(first!, '0008,0018')}]`);
      for (const n of [1, 2, 3]) expect(dump('dsrdump', later, ['+Pu'])).toContain(`${uids.study}.${n}`);
    } finally {
      await restarted.close();
    }
  });
});
