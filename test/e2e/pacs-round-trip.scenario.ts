import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigInput } from '../../runtime/config/config-schema.js';
import { Inbox, type DeadLetterReason } from '../../runtime/dicom-node/inbox.js';
import type { ClinferServer } from '../../runtime/server.js';
import { freePort } from '../helpers/dcmtk.js';
import { Orthanc } from '../helpers/orthanc.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';

/**
 * Runs inside a private network namespace (Orthanc binds 0.0.0.0): Orthanc with DICOMweb as the PACS,
 * clinfer as the AI node. Orthanc sends a multi-series study to clinfer one series per association (its
 * own C-STORE SCU), and the chest model is unloaded in the middle of it; other studies arrive by STOW-RS.
 * SRs go back to Orthanc by STOW-RS. Then Orthanc goes down, a study arrives, clinfer restarts, Orthanc
 * returns: the result must still arrive. Returns what Orthanc holds, for the test to check.
 */
export interface RoundTripArgs {
  readonly workDir: string;
  /** study: instances of one study in two or more series (sent by Orthanc, series by series); stow, whileDown: one instance each. */
  readonly files: { readonly study: readonly string[]; readonly stow: string; readonly whileDown: string; readonly outOfScope: string };
}

export interface StoredReport {
  readonly studyInstanceUID: string;
  /** dsrdump +Pu of the SR Orthanc holds. */
  readonly content: string;
  readonly seriesNumber: string;
  readonly instanceNumber: string;
  /** Patient's Name as dcmdump prints it (UTF-8). */
  readonly patientName: string;
}

export interface RoundTripResult {
  readonly stowStatus: number;
  readonly stowWhileDownStatus: number;
  readonly pendingWhileDown: number;
  /** The multi-series study: how it was sent, and what happened while the model was away. */
  readonly study: {
    readonly studyInstanceUID: string;
    readonly series: number;
    /** Associations clinfer's SCP saw while Orthanc sent the study. */
    readonly associations: number;
    readonly retriesWhileUnloaded: number;
    readonly srsWhileUnloaded: number;
    readonly waitingWhileUnloaded: number;
  };
  /** clinfer's own /v1 predict answer for each instance, to compare with the SRs. */
  readonly predictions: Record<string, { label: string; score: number; sopInstanceUID: string; studyInstanceUID: string }>;
  readonly reports: StoredReport[];
  readonly deadLetter: DeadLetterReason[];
  readonly outOfScopeStudy: string;
}

const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

function stowBody(file: string) {
  const boundary = 'e2e-boundary';
  return {
    body: Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(file), Buffer.from(`\r\n--${boundary}--\r\n`)]),
    type: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

const metric = async (server: ClinferServer, name: string, labels = '') => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

export async function pacsRoundTripScenario(args: RoundTripArgs): Promise<RoundTripResult> {
  const storage = join(args.workDir, 'orthanc-db');
  mkdirSync(storage, { recursive: true });
  // The namespace is private: fixed ports cannot clash; clinfer's SCP port goes into Orthanc's modality list.
  const scpPort = await freePort();
  let orthanc: Orthanc | undefined = await Orthanc.start({ workDir: args.workDir, storageDir: storage, modalities: { clinfer: { aeTitle: 'CLINFER', host: '127.0.0.1', port: scpPort } } });
  const httpPort = orthanc.httpPort;
  const dicomPort = orthanc.dicomPort;
  const inboxDir = join(args.workDir, 'inbox');
  const settings: Partial<ConfigInput> = {
    // The demo has one imaging model. MR is routed to it as a PACS rule might: the chest model must refuse it.
    dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR', 'DX', 'MR'] }],
    dicomScp: { aeTitle: 'CLINFER', port: scpPort },
    dicomDestinations: [{ name: 'orthanc', kind: 'stowrs', url: orthanc.dicomWebUrl }],
    inboxDir,
    outboxDir: join(args.workDir, 'outbox'),
    deliveryRetry: { initialMs: 100, maxMs: 1000 },
    dicomStudySettleMs: 2500,
    dicomProcessingRetry: { initialMs: 300, maxMs: 1000, maxAgeMs: 600_000 },
  };
  const logLines: string[] = [];
  let server: ClinferServer | undefined = await startTestServer(DEMO_MODELS, settings, logLines);
  try {
    const predictions: RoundTripResult['predictions'] = {};
    for (const [name, file] of [...args.files.study.map((f, i) => [`study${i}`, f] as const), ['stow', args.files.stow] as const, ['whileDown', args.files.whileDown] as const]) {
      const answer = (await (await fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: readFileSync(file), headers: { 'content-type': 'application/dicom' } })).json()) as any;
      const p = answer.predictions[0];
      predictions[name] = { label: p.label.text, score: p.score, sopInstanceUID: p.source.sop_instance_uid, studyInstanceUID: p.source.study_instance_uid };
    }
    const studyUid = predictions.study0!.studyInstanceUID;

    // The study is in the PACS; Orthanc forwards it to clinfer one series per association.
    const seriesIds: string[] = [];
    for (const file of args.files.study) {
      const stored = (await (await fetch(`${orthanc.url}/instances`, { method: 'POST', body: readFileSync(file) })).json()) as { ParentSeries: string };
      if (!seriesIds.includes(stored.ParentSeries)) seriesIds.push(stored.ParentSeries);
    }
    const admin = (action: 'load' | 'unload') => fetch(`${server!.url}/v2/repository/models/chest-xray-pneumonia/${action}`, { method: 'POST' });
    for (const [i, series] of seriesIds.entries()) {
      await orthanc.storeToModality('clinfer', [series]);
      // The model goes away in the middle of the study (a reload, an operator's unload).
      if (i === 0) {
        const unloaded = await admin('unload');
        if (unloaded.status !== 200) throw new Error(`unload: HTTP ${unloaded.status}`);
      }
    }
    const associations = logLines.filter((l) => l.includes('DICOM association received')).length;
    const retriesWhileUnloaded = await until('a retry while the model is unloaded', async () => {
      const n = await metric(server!, 'clinfer_dicom_processing_retries_total', '{code="MODEL_NOT_READY"}');
      return n > 0 ? n : undefined;
    }, 30_000);
    const srsWhileUnloaded = (await srsIn(orthanc, studyUid)).length;
    const waitingWhileUnloaded = (await new Inbox(inboxDir).pending()).length;
    const loaded = await admin('load');
    if (loaded.status !== 200) throw new Error(`load: HTTP ${loaded.status}`);

    // Another system sends a study by STOW-RS; an MR comes too, which the chest model is not made for.
    const stow = stowBody(args.files.stow);
    const stowStatus = (await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: stow.body, headers: { 'content-type': stow.type } })).status;
    const mr = stowBody(args.files.outOfScope);
    await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: mr.body, headers: { 'content-type': mr.type } });
    await until('the SRs of the study and the STOW-RS study in Orthanc', async () => ((await srsIn(orthanc!, studyUid)).length >= 1 && (await srsIn(orthanc!, predictions.stow!.studyInstanceUID)).length >= 1 ? true : undefined), 60_000);
    // Quiet: nothing waits in clinfer's inbox or outbox; nothing more is coming.
    await until('clinfer quiet', async () => ((await metric(server!, 'clinfer_dicom_inbox_pending')) === 0 && (await metric(server!, 'clinfer_dicom_results_pending', '{destination="orthanc"}')) === 0 ? true : undefined), 30_000);

    // The PACS goes down; a study arrives; its result waits on disk; clinfer restarts; the PACS returns.
    await orthanc.stop();
    orthanc = undefined;
    const down = stowBody(args.files.whileDown);
    const stowWhileDownStatus = (await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: down.body, headers: { 'content-type': down.type } })).status;
    const pendingWhileDown = await until('the result queued', async () => {
      const n = await metric(server!, 'clinfer_dicom_results_pending', '{destination="orthanc"}');
      return n > 0 ? n : undefined;
    }, 30_000);
    await server.close();
    server = await startTestServer(DEMO_MODELS, settings);
    orthanc = await Orthanc.start({ workDir: args.workDir, storageDir: storage, httpPort, dicomPort });
    await until('the SR of the study sent while Orthanc was down', async () => ((await srsIn(orthanc!, predictions.whileDown!.studyInstanceUID)).length >= 1 ? true : undefined), 60_000);

    const reports: StoredReport[] = [];
    for (const id of await orthanc.listInstances()) {
      const tags = await orthanc.instanceTags(id);
      if (tags['0008,0060'] !== 'SR') continue;
      const file = join(args.workDir, `${id}.dcm`);
      writeFileSync(file, await orthanc.instanceFile(id));
      reports.push({
        studyInstanceUID: String(tags['0020,000d']), seriesNumber: String(tags['0020,0011']), instanceNumber: String(tags['0020,0013']),
        patientName: /\[([^\]]*)\]/.exec(execFileSync('dcmdump', ['+P', '0010,0010', file], { encoding: 'utf8', timeout: 10_000 }))?.[1] ?? '',
        content: execFileSync('dsrdump', ['+Pu', file], { encoding: 'utf8', timeout: 10_000 }),
      });
    }
    return {
      stowStatus, stowWhileDownStatus, pendingWhileDown, predictions, reports,
      study: { studyInstanceUID: studyUid, series: seriesIds.length, associations, retriesWhileUnloaded, srsWhileUnloaded, waitingWhileUnloaded },
      deadLetter: await new Inbox(inboxDir).deadLetters(),
      outOfScopeStudy: String(execFileSync('dcmdump', ['+P', '0020,000d', args.files.outOfScope], { encoding: 'utf8' }).match(/\[([^\]]*)\]/)?.[1]),
    };
  } finally {
    await server?.close();
    await orthanc?.stop();
  }
}

async function srsIn(orthanc: Orthanc, study: string): Promise<string[]> {
  const found: string[] = [];
  for (const id of await orthanc.listInstances()) {
    const tags = await orthanc.instanceTags(id);
    if (tags['0008,0060'] === 'SR' && tags['0020,000d'] === study) found.push(id);
  }
  return found;
}

/**
 * Copies `file` with other UIDs (dcmtk's dcmodify): more instances, series and studies from the few fixtures;
 * `name`: a Patient's Name as raw bytes in the Specific Character Set given with it.
 */
export function variant(file: string, out: string, uids: { study?: string; series?: string; sop: string }, name?: { charset: string; bytes: Uint8Array }): string {
  copyFileSync(file, out);
  const edits = [['0008,0018', uids.sop], ...(uids.series ? [['0020,000e', uids.series]] : []), ...(uids.study ? [['0020,000d', uids.study]] : [])];
  const args = edits.flatMap(([t, v]) => ['-m', `(${t})=${v}`]);
  if (name) {
    // PN values have even length, padded with a space.
    writeFileSync(`${out}.name`, name.bytes.length % 2 === 0 ? name.bytes : new Uint8Array([...name.bytes, 0x20]));
    args.push('-m', `(0008,0005)=${name.charset}`, '-mf', `(0010,0010)=${out}.name`);
  }
  execFileSync('dcmodify', ['-nb', '-gin', ...args, out], { timeout: 15_000 });
  return out;
}

/** Иванов^Иван in ISO 8859-5 (ISO_IR 144): Cyrillic А..я are 0xB0..0xEF. */
export const CYRILLIC_NAME = { charset: 'ISO_IR 144', text: 'Иванов^Иван', bytes: new Uint8Array([...'Иванов^Иван'].map((c) => (c === '^' ? 0x5e : c.codePointAt(0)! - 0x0410 + 0xb0))) };

/** PS3.5 H.3.1's Japanese name in ISO 2022 IR 87 (JIS X 0208 by escape sequences). */
export const JAPANESE_NAME = (() => {
  const jis = [0x1b, 0x24, 0x42];
  const ascii = [0x1b, 0x28, 0x42];
  const parts: (string | number[])[] = ['Yamada^Tarou=', jis, ';3ED', ascii, '^', jis, 'B@O:', ascii, '=', jis, '$d$^$@', ascii, '^', jis, '$?$m$&', ascii];
  const bytes = new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
  return { charset: '\\ISO 2022 IR 87', text: 'Yamada^Tarou=山田^太郎=やまだ^たろう', bytes };
})();
