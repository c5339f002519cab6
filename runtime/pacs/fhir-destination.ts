import { ifNoneExist } from '../../adapters/fhir/write-back-resource.js';
import { originOf, type SmartBackendClient } from '../auth/smart-backend-client.js';
import { ClinferError, type ErrorCode } from '../errors/index.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { Destination, InstanceOutcome } from './destination.js';
import { failureCode } from './pacs-error.js';

export interface FhirDestinationOptions {
  readonly name: string;
  /** The FHIR server's base URL; resources are POSTed to {url}/{resourceType}. */
  readonly url: string;
  /** Bearer tokens (SMART Backend Services). */
  readonly auth: SmartBackendClient;
  readonly timeoutMs: number;
  readonly log?: Logger;
}

/** Failures of a whole exchange with the FHIR server; the lane waits and retries (delivery-lane.ts). */
export type FhirWriteErrorCode = Extract<ErrorCode, 'FHIR_NETWORK' | 'FHIR_TIMEOUT' | 'FHIR_UNAUTHORIZED' | 'FHIR_HTTP' | 'FHIR_ITEM_INVALID'>;

export class FhirWriteError extends ClinferError<FhirWriteErrorCode> {
  constructor(code: FhirWriteErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'FhirWriteError';
  }
}

/**
 * A FHIR server as a destination of the durable outbox: each outbox item holds one resource (JSON, as
 * write-back-resource.ts makes it) that is POSTed as a conditional create. 201 (created) and 200 (one with the
 * identifier exists already: an earlier try got through) deliver it; 412 (several exist) too, since a retry
 * cannot help. 401 drops the cached token; it, 403, 408, 429, 5xx, a failed token request and the network
 * fail the exchange (the lane backs off); another 4xx refuses this resource only (it waits its own back-off
 * until the outbox's age limit). Nothing from the resource or the server's answer is logged.
 */
export function createFhirDestination(options: FhirDestinationOptions): Destination {
  const log = options.log ?? createLogger('silent');
  const base = options.url.replace(/\/+$/, '');
  const origin = originOf(options.url);
  const send = async (instances: readonly Uint8Array[]) => {
    const outcomes: InstanceOutcome[] = [];
    for (const [index, bytes] of instances.entries()) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
      } catch (error) {
        throw new FhirWriteError('FHIR_ITEM_INVALID', `outbox item ${index} is not JSON`, { cause: error });
      }
      const type = typeof body.resourceType === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(body.resourceType) ? body.resourceType : undefined;
      const condition = ifNoneExist(body);
      if (!type || !condition) throw new FhirWriteError('FHIR_ITEM_INVALID', `outbox item ${index} is not a resource with a write-back identifier`);
      const token = await options.auth.accessToken();
      let response: Response;
      try {
        response = await fetch(`${base}/${type}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json', 'if-none-exist': condition, prefer: 'return=minimal' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        await response.arrayBuffer();
      } catch (error) {
        if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
          throw new FhirWriteError('FHIR_TIMEOUT', `POST ${type} to ${origin} did not answer within ${options.timeoutMs} ms`, { cause: error });
        }
        throw new FhirWriteError('FHIR_NETWORK', `POST ${type} to ${origin} failed: ${failureCode((error as Error).cause ?? error)}`, { cause: error });
      }
      const status = response.status;
      if (status === 201 || status === 200 || status === 412) {
        log.info('fhir.write_back.sent', { destination: options.name, origin, status, created: status === 201 });
        outcomes.push({ index, sopInstanceUid: '', ok: true, status });
        continue;
      }
      if (status === 401) options.auth.invalidate();
      if (status === 401 || status === 403) throw new FhirWriteError('FHIR_UNAUTHORIZED', `POST ${type} to ${origin} answered HTTP ${status}`);
      if (status === 408 || status === 429 || status >= 500 || status < 400) throw new FhirWriteError('FHIR_HTTP', `POST ${type} to ${origin} answered HTTP ${status}`);
      outcomes.push({ index, sopInstanceUid: '', ok: false, status, reason: `the FHIR server refused the ${type} (HTTP ${status})` });
    }
    return { outcomes };
  };
  return { name: options.name, kind: 'fhir', send };
}
