import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { importPKCS8 } from 'jose';
import { writeBackBody } from '../../adapters/fhir/write-back-resource.js';
import { SmartBackendClient } from '../auth/smart-backend-client.js';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { openDeliveryQueue, type DeliveryQueue } from '../pacs/delivery-queue.js';
import { createFhirDestination } from '../pacs/fhir-destination.js';

/** The destination's name in the outbox, in logs and in metric labels. */
export const FHIR_WRITE_BACK_DESTINATION = 'fhir';

export interface FhirWriteBack {
  /** A CDS Hooks call's risk is written back when cdsHooks is on and the call's fhirServer is this server. */
  forCdsHooks(fhirServer: string | undefined): boolean;
  /**
   * Durably queues RiskAssessments (each with its write-back identifier) as one outbox item: all of them or,
   * when this rejects, none. Resolves with the item id.
   */
  enqueue(resources: readonly Record<string, unknown>[]): Promise<string>;
  readonly queue: DeliveryQueue;
  /** What waits stays on disk for the next start. */
  close(): Promise<void>;
}

/**
 * Write-back of RiskAssessments to the EHR's FHIR server: the PACS results' durable outbox (its own folder,
 * <outboxDir>/fhir, its own lane) with a FHIR destination authenticated by SMART Backend Services. The key is
 * read and checked here, once: a bad one stops the start with CONFIG_INVALID.
 */
export async function openFhirWriteBack(deps: { config: Config; metrics: Metrics; log: Logger }): Promise<FhirWriteBack | undefined> {
  const { config, metrics, log } = deps;
  const settings = config.fhirWriteBack;
  if (!settings) return undefined;
  let pem: string;
  try {
    pem = await readFile(resolve(settings.privateKeyFile), 'utf8');
  } catch (error) {
    throw new ClinferError('CONFIG_INVALID', `fhirWriteBack.privateKeyFile: ${settings.privateKeyFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let privateKey;
  try {
    privateKey = await importPKCS8(pem, settings.alg);
  } catch {
    const expected = settings.alg === 'RS384' ? 'an RSA private key' : 'a P-384 EC private key';
    throw new ClinferError('CONFIG_INVALID', `fhirWriteBack.privateKeyFile: ${settings.privateKeyFile} is not ${expected} in PKCS8 PEM (alg ${settings.alg})`);
  }
  const auth = new SmartBackendClient({
    tokenUrl: settings.tokenUrl, clientId: settings.clientId, privateKey, alg: settings.alg, keyId: settings.keyId, scope: settings.scope, timeoutMs: settings.timeoutMs,
  });
  const destination = createFhirDestination({ name: FHIR_WRITE_BACK_DESTINATION, url: settings.url, auth, timeoutMs: settings.timeoutMs, log });
  const pending = () => metrics.fhirWriteBackPending.set({ destination: FHIR_WRITE_BACK_DESTINATION }, queue?.counts(FHIR_WRITE_BACK_DESTINATION).pending ?? 0);
  let queue: DeliveryQueue | undefined;
  queue = await openDeliveryQueue({
    dir: join(resolve(config.outboxDir), 'fhir'),
    fileExtension: '.json',
    destinations: [destination],
    backoff: { initialMs: config.deliveryRetry.initialMs, maxMs: config.deliveryRetry.maxMs },
    maxAgeMs: config.deliveryRetry.maxAgeMs,
    log,
    onEvent: (event) => {
      if (event.type === 'retry') metrics.fhirWriteBackRetries.inc({ destination: event.destination, code: event.code });
      else metrics.fhirWriteBack.inc({ destination: event.destination, event: event.type });
      pending();
    },
  });
  pending();
  const server = normalise(settings.url);
  const opened = queue;
  return {
    forCdsHooks: (fhirServer) => settings.cdsHooks && fhirServer !== undefined && normalise(fhirServer) === server,
    enqueue: (resources) => opened.enqueue(FHIR_WRITE_BACK_DESTINATION, resources.map((r) => Buffer.from(JSON.stringify(writeBackBody(r)))), { kind: 'risk-assessment' }),
    queue: opened,
    close: () => opened.close(),
  };
}

function normalise(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url;
  }
}
