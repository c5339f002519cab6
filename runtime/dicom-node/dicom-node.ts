import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Config } from '../config/config-schema.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createDestination, openDeliveryQueue, startDimseScp, type DeliveryQueue, type DimseScp } from '../pacs/index.js';
import type { ImagingService } from '../predict/image-predictor.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { AuditLog } from '../audit/audit-log.js';
import { storeAuditRecord } from '../audit/store-audit-record.js';
import { studyHash } from './failure.js';
import { Inbox } from './inbox.js';
import { StudyProcessor, type StudyResult } from './process-study.js';
import { receiveInstance, type ReceiptOutcome } from './receipt.js';
import { resultObject } from './result-objects.js';
import { StudyCollector } from './study-collector.js';
import { StudyRecords } from './study-records.js';

/** How long one send to a destination may take before it counts as failed and is retried. */
const SEND_TIMEOUT_MS = 60_000;
/** How often the inbox folder is looked at for instances put back by `clinfer inbox retry`. */
const RESCAN_MS = 5_000;
/** How often study records older than dicomStudyRetentionMs are deleted (and at every start). */
const PRUNE_MS = 3_600_000;

export interface DicomNode {
  /**
   * Takes received instances (STOW-RS): each one routed is written durably to the inbox before this resolves,
   * and processed with its study once the study has settled. `study`: refuse instances of any other study.
   */
  receive(instances: readonly Uint8Array[], caller: string, source: 'stowrs' | 'cstore', options?: { study?: string }): Promise<ReceiptOutcome[]>;
  /** The C-STORE SCP, when configured. */
  readonly scp: DimseScp | undefined;
  readonly queue: DeliveryQueue | undefined;
  /** Collects what waits in the inbox (left by a previous run) and starts watching it (call once the models are loaded). */
  recover(): Promise<number>;
  /** Stops the SCP: no new associations; those running are handed over first. */
  stopReceiving(): Promise<void>;
  /** Stops receiving and processing, and closes the outbox (what waits stays on disk for the next start). */
  close(): Promise<void>;
}

/**
 * clinfer as a DICOM node: what arrives (STOW-RS, C-STORE) waits durably in the inbox until its study has
 * been quiet for dicomStudySettleMs, then runs through its routed models; each model's findings on the
 * study go back as one DICOM SR (or SEG) through a durable outbox to every configured destination.
 */
export async function startDicomNode(deps: { config: Config; repository: ModelRepository; imaging: ImagingService; metrics: Metrics; audit: AuditLog | undefined; log: Logger }): Promise<DicomNode> {
  const { config, metrics, log } = deps;
  let queue: DeliveryQueue | undefined;
  if (config.dicomDestinations.length > 0) {
    queue = await openDeliveryQueue({
      dir: resolve(config.outboxDir),
      destinations: config.dicomDestinations.map((d) => createDestination({ ...d, timeoutMs: SEND_TIMEOUT_MS }, log)),
      backoff: { initialMs: config.deliveryRetry.initialMs, maxMs: config.deliveryRetry.maxMs },
      maxAgeMs: config.deliveryRetry.maxAgeMs,
      log,
      onEvent: (event) => {
        if (event.type === 'retry') metrics.dicomDeliveryRetries.inc({ destination: event.destination });
        else metrics.dicomResults.inc({ destination: event.destination, event: event.type });
        metrics.dicomResultsPending.set({ destination: event.destination }, queue?.counts(event.destination).pending ?? 0);
      },
    });
    for (const d of config.dicomDestinations) metrics.dicomResultsPending.set({ destination: d.name }, queue.counts(d.name).pending);
  } else if (config.dicomRoutes.length > 0) {
    log.warn('DICOM routing rules are set but no dicomDestinations: results are computed and not sent anywhere');
  }

  const deliver = async (result: StudyResult) => {
    const object = resultObject(result, config.resultManufacturer);
    if (!object) return undefined;
    const studyInstanceUID = result.sources[0]!.studyInstanceUID;
    for (const destination of config.dicomDestinations) await queue!.enqueue(destination.name, [object.bytes], { kind: object.kind, studyInstanceUID });
    return { sopClassUID: object.sopClassUID };
  };

  // Without routing rules nothing is ever kept: every instance is answered unrouted.
  const keeps = config.dicomRoutes.length > 0;
  const inbox = new Inbox(resolve(config.inboxDir));
  const records = new StudyRecords(resolve(config.inboxDir));
  if (keeps || config.dicomScp) {
    await inbox.init();
    await records.init();
    await records.prune(config.dicomStudyRetentionMs);
  }
  const processor = new StudyProcessor({
    config, repository: deps.repository, imaging: deps.imaging, counting: { metrics, audit: deps.audit }, log, inbox, records, deliver,
    onRetry: (code) => metrics.dicomProcessingRetries.inc({ code }),
    onDeadLetter: (code) => metrics.dicomDeadLettered.inc({ code }),
  });
  const collector = new StudyCollector({
    settleMs: config.dicomStudySettleMs,
    retry: { initialMs: config.dicomProcessingRetry.initialMs, maxMs: config.dicomProcessingRetry.maxMs },
    process: (study, instances, attempt) => processor.process(study, instances, attempt),
    onChange: () => metrics.dicomInboxPending.set(collector.pending),
  });

  /** An instance already in the inbox (C-STORE, a restart, `clinfer inbox retry`): collected, or set aside. */
  const take = async (path: string, bytes: Uint8Array, caller: string): Promise<ReceiptOutcome> => {
    const { outcome, info, header } = receiveInstance(bytes, config.dicomRoutes);
    const id = basename(path).replace(/\.dcm$/, '');
    if (info) {
      collector.add({ id, path, info, header, caller });
    } else if (outcome.status === 'unrouted') {
      await inbox.remove([path]);
    } else {
      // The sender was told "stored": a file that cannot be taken is kept, with the reason, not dropped.
      const study = studyHash(outcome.studyInstanceUID);
      try {
        await inbox.deadLetter(path, { code: outcome.code ?? 'INVALID_DICOM', message: outcome.message ?? '', models: [], study });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return outcome; // set aside already (a rescan got there first)
        throw error;
      }
      metrics.dicomDeadLettered.inc({ code: outcome.code ?? 'INVALID_DICOM' });
      log.warn('DICOM instance moved to dead-letter', { study, id, code: outcome.code, reason: (outcome.message ?? '').slice(0, 200) });
    }
    return outcome;
  };

  const receive: DicomNode['receive'] = async (instances, caller, source, options = {}) => {
    const outcomes: ReceiptOutcome[] = [];
    for (const bytes of instances) {
      const { outcome, info, header } = receiveInstance(bytes, config.dicomRoutes, options.study);
      if (info) {
        // On disk before the sender hears "stored"; refused and unrouted instances are not kept.
        const path = await inbox.put(bytes);
        collector.add({ id: basename(path).replace(/\.dcm$/, ''), path, info, header, caller });
      }
      metrics.dicomInstances.inc({ source, outcome: outcome.status });
      outcomes.push(outcome);
    }
    return outcomes;
  };

  // Paths written by the SCP whose association has not ended yet: the rescan leaves them to it.
  const receiving = new Set<string>();
  let scp: DimseScp | undefined;
  if (config.dicomScp) {
    const s = config.dicomScp;
    try {
      scp = await startDimseScp({
        aeTitle: s.aeTitle, host: s.host, port: s.port, allowedCallingAeTitles: s.allowedCallingAeTitles,
        maxInstancesPerAssociation: s.maxInstancesPerAssociation, maxBytesPerAssociation: s.maxBytesPerAssociation,
        ...(s.tlsCertFile && s.tlsKeyFile ? { tls: { certFile: s.tlsCertFile, keyFile: s.tlsKeyFile, clientCaFile: s.tlsClientCaFile } } : {}),
        log,
        // Each instance is on disk before its C-STORE success; it leaves the inbox once its study's results are queued.
        persistInstance: async (bytes) => {
          const path = await inbox.put(bytes);
          receiving.add(path);
          return path;
        },
        // Collected when the association ends; processed when the study has settled (other associations may follow).
        onAssociation: async (association) => {
          const caller = `dicom:${association.callingAeTitle}`;
          let failed = 0;
          for (const [i, path] of association.persisted.entries()) {
            try {
              const outcome = await take(path, association.instances[i]!, caller);
              metrics.dicomInstances.inc({ source: 'cstore', outcome: outcome.status });
              if (outcome.status === 'failed') failed++;
            } finally {
              receiving.delete(path);
            }
          }
          // The C-STORE statuses the client was sent: success per instance kept, a failure per one refused.
          // The statuses are already sent: not awaited; the audit log logs why when it could not write.
          void deps.audit?.tryAppend(storeAuditRecord('cstore', caller, undefined, association.instances.length + association.refused, Array(association.refused).fill('REFUSED')));
          log.info('DICOM association received', { callingAeTitle: association.callingAeTitle, instances: association.instances.length, deadLettered: failed, ending: association.ending });
        },
      });
      log.info(`DICOM C-STORE SCP listening on ${scp.host}:${scp.port} as ${scp.aeTitle}`);
    } catch (error) {
      await queue?.close();
      throw error;
    }
  }

  // Instances in the inbox the collector does not hold: left by a previous run, or put back from dead-letter.
  let lastPrune = Date.now();
  const rescan = async () => {
    if (Date.now() - lastPrune > PRUNE_MS) {
      lastPrune = Date.now();
      await records.prune(config.dicomStudyRetentionMs);
    }
    let found = 0;
    for (const { id, path } of await inbox.pending()) {
      if (collector.has(id) || receiving.has(path)) continue;
      const bytes = await readFile(path).catch(() => undefined);
      if (!bytes) continue;
      await take(path, new Uint8Array(bytes), 'dicom:inbox');
      found++;
    }
    return found;
  };
  let rescanTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const recover = async () => {
    if (!keeps || closed) return 0;
    const found = await rescan();
    if (found > 0) log.warn('collected DICOM instances waiting in the inbox from a previous run', { instances: found });
    const again = () => {
      rescanTimer = setTimeout(() => {
        void rescan().catch((error: unknown) => log.error('the DICOM inbox could not be read', { reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown' })).finally(() => { if (!closed) again(); });
      }, RESCAN_MS);
      rescanTimer.unref();
    };
    again();
    return found;
  };

  let scpClosed: Promise<void> | undefined;
  const stopReceiving = () => (scpClosed ??= scp?.close() ?? Promise.resolve());
  return {
    receive,
    recover,
    scp,
    queue,
    stopReceiving,
    async close() {
      closed = true;
      clearTimeout(rescanTimer);
      await stopReceiving();
      await collector.close();
      await queue?.close();
    },
  };
}
