import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigInput } from '../../runtime/config/config-schema.js';
import type { ClinferServer } from '../../runtime/server.js';
import { storescu } from '../helpers/dcmtk.js';
import { Orthanc } from '../helpers/orthanc.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';

/**
 * Runs inside a private network namespace (Orthanc binds 0.0.0.0): Orthanc with DICOMweb as the PACS,
 * clinfer as the AI node. Studies arrive by C-STORE (storescu) and by STOW-RS; SRs go back to Orthanc by
 * STOW-RS. Then Orthanc goes down, a study arrives, clinfer restarts, Orthanc returns: the result must
 * still arrive. Returns what Orthanc holds, for the test to check.
 */
export interface RoundTripArgs {
  readonly workDir: string;
  readonly files: { readonly cstore: string; readonly stow: string; readonly whileDown: string };
}

export interface StoredReport {
  readonly studyInstanceUID: string;
  /** dsrdump +Pu of the SR Orthanc holds. */
  readonly content: string;
  readonly modality: string;
}

export interface RoundTripResult {
  readonly stowStatus: number;
  readonly stowWhileDownStatus: number;
  readonly pendingWhileDown: number;
  /** clinfer's own /v1 predict answer for each file, to compare with the SRs. */
  readonly predictions: Record<string, { label: string; score: number; sopInstanceUID: string; studyInstanceUID: string }>;
  readonly reports: StoredReport[];
}

const settle = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
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

export async function pacsRoundTripScenario(args: RoundTripArgs): Promise<RoundTripResult> {
  const storage = join(args.workDir, 'orthanc-db');
  mkdirSync(storage, { recursive: true });
  let orthanc: Orthanc | undefined = await Orthanc.start({ workDir: args.workDir, storageDir: storage });
  const httpPort = orthanc.httpPort;
  const dicomPort = orthanc.dicomPort;
  const settings: Partial<ConfigInput> = {
    // The demo has one imaging model: every modality of the test studies goes to it.
    dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR', 'CT', 'MR'] }],
    dicomScp: { aeTitle: 'CLINFER', port: 0 },
    dicomDestinations: [{ name: 'orthanc', kind: 'stowrs', url: orthanc.dicomWebUrl }],
    outboxDir: join(args.workDir, 'outbox'),
    deliveryRetry: { initialMs: 100, maxMs: 1000 },
  };
  let server: ClinferServer | undefined = await startTestServer(DEMO_MODELS, settings);
  try {
    const predictions: RoundTripResult['predictions'] = {};
    for (const [name, file] of Object.entries(args.files)) {
      const answer = (await (await fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: readFileSync(file), headers: { 'content-type': 'application/dicom' } })).json()) as any;
      const p = answer.predictions[0];
      predictions[name] = { label: p.label.text, score: p.score, sopInstanceUID: p.source.sop_instance_uid, studyInstanceUID: p.source.study_instance_uid };
    }

    // A modality sends by C-STORE; another system by STOW-RS.
    const sent = await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [args.files.cstore] });
    if (sent.code !== 0) throw new Error(`storescu failed: ${sent.stderr.slice(-500)}`);
    const stow = stowBody(args.files.stow);
    const stowStatus = (await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: stow.body, headers: { 'content-type': stow.type } })).status;
    await settle('two SRs in Orthanc', async () => ((await srCount(orthanc!)) >= 2 ? true : undefined), 30_000);

    // The PACS goes down; a study arrives; its result waits on disk; clinfer restarts; the PACS returns.
    await orthanc.stop();
    orthanc = undefined;
    const down = stowBody(args.files.whileDown);
    const stowWhileDownStatus = (await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: down.body, headers: { 'content-type': down.type } })).status;
    const pendingWhileDown = await settle('the result queued', async () => {
      const metrics = await (await fetch(`${server!.url}/metrics`)).text();
      const m = /clinfer_dicom_results_pending\{destination="orthanc"\} (\d+)/.exec(metrics);
      return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
    }, 10_000);
    await server.close();
    server = await startTestServer(DEMO_MODELS, settings);
    orthanc = await Orthanc.start({ workDir: args.workDir, storageDir: storage, httpPort, dicomPort });
    await settle('the third SR in Orthanc', async () => ((await srCount(orthanc!)) >= 3 ? true : undefined), 30_000);

    const reports: StoredReport[] = [];
    for (const id of await orthanc.listInstances()) {
      const tags = await orthanc.instanceTags(id);
      if (tags['0008,0060'] !== 'SR') continue;
      const file = join(args.workDir, `${id}.dcm`);
      const { writeFileSync } = await import('node:fs');
      writeFileSync(file, await orthanc.instanceFile(id));
      reports.push({ studyInstanceUID: String(tags['0020,000d']), modality: 'SR', content: execFileSync('dsrdump', ['+Pu', file], { encoding: 'utf8', timeout: 10_000 }) });
    }
    return { stowStatus, stowWhileDownStatus, pendingWhileDown, predictions, reports };
  } finally {
    await server?.close();
    await orthanc?.stop();
  }
}

async function srCount(orthanc: Orthanc): Promise<number> {
  let n = 0;
  for (const id of await orthanc.listInstances()) if ((await orthanc.instanceTags(id))['0008,0060'] === 'SR') n++;
  return n;
}
