import { spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDestination } from '../../runtime/pacs/create-destination.js';
import { sendCStore } from '../../runtime/pacs/cstore-scu.js';
import { openDeliveryQueue, type DeliveryQueue } from '../../runtime/pacs/delivery-queue.js';
import { startDimseScp, type ReceivedAssociation } from '../../runtime/pacs/dimse-scp.js';
import { readPart10 } from '../../runtime/pacs/part10.js';
import { sendStowRs } from '../../runtime/pacs/stow-client.js';
import { freePort, waitForPort } from './dcmtk.js';
import { spawnTracked, stopProcess } from './private-network.js';

/**
 * Orthanc (Debian packages `orthanc` and `orthanc-dicomweb`) for tests. Orthanc 1.10 binds 0.0.0.0 whatever
 * the configuration says, so start it only inside a private network namespace (private-network.ts).
 */
const PLUGIN_CANDIDATES = [
  '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  '/usr/lib/orthanc/libOrthancDicomWeb.so',
  '/usr/local/share/orthanc/plugins/libOrthancDicomWeb.so',
];

export function dicomWebPluginPath(): string | undefined {
  return PLUGIN_CANDIDATES.find((path) => existsSync(path));
}

export function orthancAvailable(): boolean {
  return dicomWebPluginPath() !== undefined && spawnSync('Orthanc', ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

export interface OrthancOptions {
  /** Holds the configuration, the log and (unless storageDir is given) the database. */
  readonly workDir: string;
  /** Database and files; give the same folder to a restarted Orthanc to keep its content. */
  readonly storageDir?: string;
  readonly httpPort?: number;
  readonly dicomPort?: number;
  readonly aeTitle?: string;
  /** Peers Orthanc may C-STORE to (POST /modalities/{name}/store). */
  readonly modalities?: Readonly<Record<string, { readonly aeTitle: string; readonly host: string; readonly port: number }>>;
  readonly startTimeoutMs?: number;
}

export class Orthanc {
  readonly #child: ChildProcess;
  readonly url: string;

  private constructor(child: ChildProcess, readonly httpPort: number, readonly dicomPort: number, readonly aeTitle: string, readonly storageDir: string, readonly logFile: string) {
    this.#child = child;
    this.url = `http://127.0.0.1:${httpPort}`;
  }

  /** The DICOMweb root, for STOW-RS ({dicomWebUrl}/studies). */
  get dicomWebUrl(): string {
    return `${this.url}/dicom-web`;
  }

  static async start(options: OrthancOptions): Promise<Orthanc> {
    const plugin = dicomWebPluginPath();
    if (!plugin) throw new Error('the Orthanc DICOMweb plugin is not installed');
    const httpPort = options.httpPort ?? (await freePort());
    const dicomPort = options.dicomPort ?? (await freePort());
    const aeTitle = options.aeTitle ?? 'ORTHANC';
    const storageDir = options.storageDir ?? join(options.workDir, 'db');
    mkdirSync(storageDir, { recursive: true });
    const config = {
      Name: 'clinfer-test',
      StorageDirectory: storageDir,
      IndexDirectory: storageDir,
      HttpPort: httpPort,
      DicomPort: dicomPort,
      DicomAet: aeTitle,
      RemoteAccessAllowed: true,
      AuthenticationEnabled: false,
      SaveJobs: false,
      Plugins: [plugin],
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
      DicomModalities: Object.fromEntries(Object.entries(options.modalities ?? {}).map(([name, m]) => [name, [m.aeTitle, m.host, m.port]])),
    };
    const configFile = join(options.workDir, `orthanc-${httpPort}.json`);
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const logFile = join(options.workDir, `orthanc-${httpPort}.log`);
    const log = openSync(logFile, 'a');
    const child = spawnTracked('Orthanc', [configFile], { stdio: ['ignore', log, log] });
    closeSync(log);
    const orthanc = new Orthanc(child, httpPort, dicomPort, aeTitle, storageDir, logFile);
    try {
      await orthanc.#waitUntilReady(options.startTimeoutMs ?? 20_000);
    } catch (error) {
      await orthanc.stop();
      throw new Error(`Orthanc did not start: ${(error as Error).message}\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    return orthanc;
  }

  async #waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#child.exitCode !== null) throw new Error(`Orthanc exited with ${this.#child.exitCode}`);
      try {
        const response = await fetch(`${this.url}/plugins/dicom-web`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) break;
      } catch {
        // Not up yet.
      }
      if (Date.now() > deadline) throw new Error(`no answer on ${this.url} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitForPort(this.dicomPort, Math.max(1000, deadline - Date.now()));
  }

  /** SIGTERM (Orthanc closes its database cleanly), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    await stopProcess(this.#child, 10_000);
  }

  async #get(path: string): Promise<Response> {
    const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
    return response;
  }

  /** Orthanc ids of every stored instance. */
  async listInstances(): Promise<string[]> {
    return (await (await this.#get('/instances')).json()) as string[];
  }

  /** Tags as "gggg,eeee" -> value (Orthanc's short form). */
  async instanceTags(id: string): Promise<Record<string, unknown>> {
    return (await (await this.#get(`/instances/${id}/tags?short`)).json()) as Record<string, unknown>;
  }

  /** The instance's DICOM JSON (PS3.18 F.2) through DICOMweb WADO-RS metadata. */
  async instanceDicomJson(studyUid: string, seriesUid: string, sopUid: string): Promise<Record<string, { vr: string; Value?: unknown[] }>> {
    const list = (await (await this.#get(`/dicom-web/studies/${studyUid}/series/${seriesUid}/instances/${sopUid}/metadata`)).json()) as Record<string, { vr: string; Value?: unknown[] }>[];
    return list[0] ?? {};
  }

  /** Transfer syntax UID the instance is stored in. */
  async instanceTransferSyntax(id: string): Promise<string> {
    return (await (await this.#get(`/instances/${id}/metadata/TransferSyntax`)).text()).trim();
  }

  /** The stored Part 10 file. */
  async instanceFile(id: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.#get(`/instances/${id}/file`)).arrayBuffer());
  }

  /** Orthanc id of the instance with this SOP Instance UID, if stored. */
  async findInstance(sopInstanceUid: string): Promise<string | undefined> {
    const response = await fetch(`${this.url}/tools/lookup`, { method: 'POST', body: sopInstanceUid, signal: AbortSignal.timeout(10_000) });
    const hits = (await response.json()) as { ID: string; Type: string }[];
    return hits.find((h) => h.Type === 'Instance')?.ID;
  }

  /** Orthanc sends instances to a configured modality with its own C-STORE SCU; resolves when done. */
  async storeToModality(modality: string, instanceIds: readonly string[]): Promise<void> {
    const response = await fetch(`${this.url}/modalities/${modality}/store`, {
      method: 'POST',
      body: JSON.stringify({ Resources: instanceIds, Synchronous: true }),
      signal: AbortSignal.timeout(20_000),
    });
    if (!response.ok) throw new Error(`C-STORE from Orthanc to ${modality}: HTTP ${response.status} ${await response.text()}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios: run by private-network.ts inside the namespace (they start Orthanc). Each returns plain data
// for the test to assert on, and stops everything it started, whatever happens.

export interface OrthancRoundTripArgs {
  readonly workDir: string;
  readonly fixtures: string;
}

export interface OrthancRoundTripResult {
  readonly stow: { readonly outcomes: readonly { ok: boolean; sopInstanceUid: string }[]; readonly listed: boolean; readonly sopInstanceUid: unknown; readonly dicomJsonSopInstanceUid: unknown };
  readonly cstore: { readonly outcomes: readonly { ok: boolean; status?: number }[]; readonly listed: boolean; readonly transferSyntax: string };
  readonly toScp: { readonly associations: number; readonly instances: number; readonly transferSyntaxes: string[]; readonly sopInstanceUids: string[] };
  readonly queue: {
    readonly whileDown: { readonly pending: number; readonly retries: number; readonly delivered: number };
    readonly afterRestart: { readonly drained: boolean; readonly pending: number; readonly delivered: number; readonly failed: number };
    readonly srListed: boolean;
    readonly scListed: boolean;
    readonly outboxLeft: string[];
  };
  readonly instancesAtEnd: number;
}

export async function orthancRoundTripScenario(args: OrthancRoundTripArgs): Promise<OrthancRoundTripResult> {
  const fixture = (name: string) => new Uint8Array(readFileSync(join(args.fixtures, name)));
  const ct = fixture('CT_small.dcm');
  const mrJpegLs = fixture('MR_small_jpeg_ls_lossless.dcm');
  const sr = fixture('test-SR.dcm');
  const sc = fixture('image_dfl.dcm');

  const received: ReceivedAssociation[] = [];
  const scp = await startDimseScp({ aeTitle: 'CLINFER', onAssociation: (a) => void received.push(a) });
  const storageDir = join(args.workDir, 'orthanc-db');
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const orthancOptions: OrthancOptions = { workDir: args.workDir, storageDir, httpPort, dicomPort, modalities: { clinfer: { aeTitle: 'CLINFER', host: '127.0.0.1', port: scp.port } } };
  let orthanc: Orthanc | undefined = await Orthanc.start(orthancOptions);
  let queue: DeliveryQueue | undefined;
  try {
    // STOW-RS into Orthanc's DICOMweb.
    const stowReport = await sendStowRs([ct], { baseUrl: orthanc.dicomWebUrl, timeoutMs: 10_000 });
    const ctMeta = readPart10(ct);
    const ctId = await orthanc.findInstance(ctMeta.sopInstanceUid);
    const ctTags = ctId ? await orthanc.instanceTags(ctId) : {};
    const ctJson = ctId
      ? await orthanc.instanceDicomJson(String(ctTags['0020,000d']), String(ctTags['0020,000e']), ctMeta.sopInstanceUid)
      : {};

    // C-STORE SCU into Orthanc's DICOM port, compressed instance kept compressed.
    const cstoreReport = await sendCStore([mrJpegLs], { host: '127.0.0.1', port: orthanc.dicomPort, calledAeTitle: orthanc.aeTitle, callingAeTitle: 'CLINFER', timeoutMs: 10_000 });
    const mrId = await orthanc.findInstance(readPart10(mrJpegLs).sopInstanceUid);
    const mrSyntax = mrId ? await orthanc.instanceTransferSyntax(mrId) : '';

    // Orthanc's own C-STORE SCU into our SCP.
    if (ctId && mrId) await orthanc.storeToModality('clinfer', [ctId, mrId]);
    const toScpInstances = received.flatMap((a) => a.instances.map((i) => readPart10(i)));

    // Delivery queue across a PACS outage and a simulated restart of clinfer.
    const destinations = () => [
      createDestination({ name: 'pacs-web', kind: 'stowrs', url: `http://127.0.0.1:${httpPort}/dicom-web`, headers: {}, timeoutMs: 3000 }),
      createDestination({ name: 'pacs-dimse', kind: 'cstore', host: '127.0.0.1', port: dicomPort, calledAeTitle: 'ORTHANC', callingAeTitle: 'CLINFER', timeoutMs: 3000 }),
    ];
    const outbox = join(args.workDir, 'outbox');
    const queueOptions = { dir: outbox, backoff: { initialMs: 50, maxMs: 500 } };
    await orthanc.stop();
    orthanc = undefined;
    queue = await openDeliveryQueue({ ...queueOptions, destinations: destinations() });
    await queue.enqueue('pacs-web', [sr], { kind: 'sr', studyInstanceUID: '1.2.3' });
    await queue.enqueue('pacs-dimse', [sc], { kind: 'seg', studyInstanceUID: '1.2.3' });
    const downDeadline = Date.now() + 10_000;
    while ((queue.counts('pacs-web').retries < 2 || queue.counts('pacs-dimse').retries < 2) && Date.now() < downDeadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const whileDown = queue.counts();
    await queue.close();
    queue = undefined;

    orthanc = await Orthanc.start(orthancOptions);
    queue = await openDeliveryQueue({ ...queueOptions, destinations: destinations() });
    const drained = await queue.drain(15_000);
    const afterRestart = { drained, ...queue.counts() };
    await queue.close();
    queue = undefined;

    return {
      stow: {
        outcomes: stowReport.outcomes.map((o) => ({ ok: o.ok, sopInstanceUid: o.sopInstanceUid })),
        listed: ctId !== undefined && (await orthanc.listInstances()).includes(ctId),
        sopInstanceUid: ctTags['0008,0018'],
        dicomJsonSopInstanceUid: ctJson['00080018']?.Value?.[0],
      },
      cstore: { outcomes: cstoreReport.outcomes.map((o) => ({ ok: o.ok, ...(o.status === undefined ? {} : { status: o.status }) })), listed: mrId !== undefined, transferSyntax: mrSyntax },
      toScp: {
        associations: received.length,
        instances: toScpInstances.length,
        transferSyntaxes: toScpInstances.map((i) => i.transferSyntaxUid),
        sopInstanceUids: toScpInstances.map((i) => i.sopInstanceUid),
      },
      queue: {
        whileDown: { pending: whileDown.pending, retries: whileDown.retries, delivered: whileDown.delivered },
        afterRestart: { drained: afterRestart.drained, pending: afterRestart.pending, delivered: afterRestart.delivered, failed: afterRestart.failed },
        srListed: (await orthanc.findInstance(readPart10(sr).sopInstanceUid)) !== undefined,
        scListed: (await orthanc.findInstance(readPart10(sc).sopInstanceUid)) !== undefined,
        outboxLeft: readdirSync(join(outbox, 'pending')),
      },
      instancesAtEnd: (await orthanc.listInstances()).length,
    };
  } finally {
    await queue?.close();
    await orthanc?.stop();
    await scp.close();
  }
}
