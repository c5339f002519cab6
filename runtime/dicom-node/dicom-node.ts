import { resolve } from 'node:path';
import type { Config } from '../config/config-schema.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createDestination, openDeliveryQueue, startDimseScp, type DeliveryQueue, type DimseScp } from '../pacs/index.js';
import type { ImagingService } from '../predict/image-predictor.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { AuditLog } from '../audit/audit-log.js';
import { processInstances, type InstanceOutcome, type InstanceProcessorDeps, type StudyResult } from './process-instances.js';
import { Inbox } from './inbox.js';
import { resultObject } from './result-objects.js';
import { storeAuditRecord } from '../audit/store-audit-record.js';

/** How long one send to a destination may take before it counts as failed and is retried. */
const SEND_TIMEOUT_MS = 60_000;

export interface DicomNode {
  /** Runs received instances through their routed models and queues the results (STOW-RS and C-STORE). */
  receive(instances: readonly Uint8Array[], caller: string, source: 'stowrs' | 'cstore', options?: { priority?: number; signal?: AbortSignal }): Promise<InstanceOutcome[]>;
  /** The C-STORE SCP, when configured. */
  readonly scp: DimseScp | undefined;
  readonly queue: DeliveryQueue | undefined;
  /** Processes what a previous run received by C-STORE and did not finish (call once the models are loaded). */
  recover(): Promise<number>;
  /** Stops the SCP: no new associations; those running are processed first. */
  stopReceiving(): Promise<void>;
  /** Stops receiving and closes the outbox (what is pending stays on disk for the next start). */
  close(): Promise<void>;
}

/**
 * clinfer as a DICOM node: what arrives (STOW-RS, C-STORE) is routed to imaging models, and each study's
 * findings go back as a DICOM SR through a durable outbox to every configured destination.
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
    if (!queue) return;
    const object = resultObject(result, config.resultManufacturer);
    if (!object) return;
    const studyInstanceUID = result.sources[0]!.studyInstanceUID;
    for (const destination of config.dicomDestinations) await queue.enqueue(destination.name, [object.bytes], { kind: object.kind, studyInstanceUID });
  };
  const processor: InstanceProcessorDeps = { config, repository: deps.repository, imaging: deps.imaging, counting: { metrics, audit: deps.audit }, log, deliver };
  const receive: DicomNode['receive'] = async (instances, caller, source, options) => {
    const outcomes = await processInstances(processor, instances, caller, options);
    for (const o of outcomes) metrics.dicomInstances.inc({ source, outcome: o.status });
    return outcomes;
  };

  let scp: DimseScp | undefined;
  let inbox: Inbox | undefined;
  if (config.dicomScp) {
    const s = config.dicomScp;
    try {
      inbox = new Inbox(resolve(config.inboxDir));
      await inbox.init();
      const received = inbox;
      scp = await startDimseScp({
        aeTitle: s.aeTitle, host: s.host, port: s.port, allowedCallingAeTitles: s.allowedCallingAeTitles,
        maxInstancesPerAssociation: s.maxInstancesPerAssociation, maxBytesPerAssociation: s.maxBytesPerAssociation,
        log,
        // Each instance is on disk before its C-STORE success; it leaves the inbox once its results are queued.
        persistInstance: (bytes) => received.put(bytes),
        // Studies are processed when the association ends (C-STORE success was already sent per instance).
        onAssociation: async (association) => {
          const outcomes = await receive(association.instances, `dicom:${association.callingAeTitle}`, 'cstore');
          await received.remove(association.persisted);
          const failed = outcomes.filter((o) => o.status === 'failed').length;
          // The C-STORE statuses the client was sent: success per instance kept, a failure per one refused.
          try {
            deps.audit?.append(storeAuditRecord('cstore', `dicom:${association.callingAeTitle}`, undefined, association.instances.length + association.refused, Array(association.refused).fill('REFUSED')));
          } catch {
            // the statuses are already sent; the audit log has logged why it could not write
          }
          log.info('DICOM association processed', { callingAeTitle: association.callingAeTitle, instances: outcomes.length, failed, ending: association.ending });
        },
      });
      log.info(`DICOM C-STORE SCP listening on ${scp.host}:${scp.port} as ${scp.aeTitle}`);
    } catch (error) {
      await queue?.close();
      throw error;
    }
  }

  let scpClosed: Promise<void> | undefined;
  const stopReceiving = () => (scpClosed ??= scp?.close() ?? Promise.resolve());
  const recover = async () => {
    if (!inbox) return 0;
    const left = await inbox.leftovers();
    if (left.length === 0) return 0;
    log.warn('processing DICOM instances a previous run received and did not finish', { instances: left.length });
    await receive(left.map((l) => l.bytes), 'dicom:recovered', 'cstore');
    await inbox.remove(left.map((l) => l.path));
    return left.length;
  };
  return {
    receive,
    recover,
    scp,
    queue,
    stopReceiving,
    async close() {
      await stopReceiving();
      await queue?.close();
    },
  };
}
