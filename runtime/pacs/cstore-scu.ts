import type { Socket } from 'node:net';
import { createLogger, type Logger } from '../log/logger.js';
import type { InstanceOutcome, SendReport } from './destination.js';
import { DICOM_TLS_CIPHERS, DICOM_TLS_MIN_VERSION, type TlsKeyMaterial } from './dicom-tls.js';
import { dimse, isStoreSuccess, type DimseAssociation, type DimseCStoreRequest } from './dimse-library.js';
import { PacsError, failureCode } from './pacs-error.js';
import { readPart10, type Part10View } from './part10.js';
import { RawDataset } from './raw-dataset.js';
import { TransferSyntaxUid } from './uids.js';

const { Client } = dimse;
const { CStoreRequest } = dimse.requests;
const { PresentationContext } = dimse.association;

export interface CStoreScuOptions {
  readonly host: string;
  readonly port: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  /** For the whole exchange: connect, associate, every C-STORE, release. */
  readonly timeoutMs: number;
  /**
   * DICOM TLS (PS3.15 B.1 / B.10): TLS 1.2 or later, BCP 195 suites; the peer's certificate must chain to
   * `ca` and name `host` (DNS or IP subject alternative name); `cert` and `key` are presented when asked for.
   */
  readonly tls?: TlsKeyMaterial;
  readonly log?: Logger;
}

/**
 * Sends Part 10 instances in one association with dcmjs-dimse's Client, each in the transfer syntax it is
 * stored in. Rejects (PacsError) when no association was made: refused connection (PACS_NETWORK), rejected
 * association (PACS_ASSOCIATION_REJECTED), timeout (PACS_TIMEOUT), or an instance that is not Part 10
 * (PACS_INVALID_PART10). Once the association is up it resolves, with a failed outcome for each instance
 * the peer refused or never answered.
 */
export async function sendCStore(instances: readonly Uint8Array[], options: CStoreScuOptions): Promise<SendReport> {
  const log = options.log ?? createLogger('silent');
  const views = instances.map((bytes) => readPart10(bytes));
  if (instances.length === 0) return { outcomes: [] };
  const peer = `${options.calledAeTitle}@${options.host}:${options.port}${options.tls ? ' (TLS)' : ''}`;

  return new Promise<SendReport>((resolve, reject) => {
    const client = new Client();
    const outcomes: (InstanceOutcome | undefined)[] = views.map(() => undefined);
    const requests: DimseCStoreRequest[] = views.map((view, index) => {
      const request = new CStoreRequest(new RawDataset(view, instances[index]!));
      request.on('response', (response: { getStatus(): number }) => {
        const status = response.getStatus();
        const ok = isStoreSuccess(status);
        outcomes[index] = { index, sopInstanceUid: view.sopInstanceUid, ok, status, ...(ok ? {} : { reason: `C-STORE status 0x${hex(status)}` }) };
      });
      client.addRequest(request);
      return request;
    });
    for (const context of exactSyntaxContexts(views)) client.addAdditionalPresentationContext(context, true);

    let accepted = false;
    let failure: PacsError | undefined;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!accepted) {
        reject(failure ?? new PacsError('PACS_NETWORK', `connection to ${peer} closed before the association was accepted`));
        return;
      }
      const reason = failure ? `not confirmed: ${failure.code}` : 'not sent: no accepted presentation context for its transfer syntax';
      const report = { outcomes: views.map((view, index) => outcomes[index] ?? { index, sopInstanceUid: view.sopInstanceUid, ok: false, reason }) };
      log.info('pacs.cstore.sent', { peer, instances: views.length, stored: report.outcomes.filter((o) => o.ok).length });
      resolve(report);
    };
    const timer = setTimeout(() => {
      failure = new PacsError('PACS_TIMEOUT', `C-STORE to ${peer} did not finish within ${options.timeoutMs} ms`);
      try {
        if (accepted) client.abort();
      } catch {
        // No network left to abort on.
      }
      (client as unknown as { network?: { socket?: Socket } }).network?.socket?.destroy();
      settle();
    }, options.timeoutMs);

    client.on('associationAccepted', (association: DimseAssociation) => {
      accepted = true;
      requests.forEach((request, index) => {
        if (association.getAcceptedPresentationContextFromRequest(request) === undefined) {
          outcomes[index] = { index, sopInstanceUid: views[index]!.sopInstanceUid, ok: false, reason: 'the peer accepted no presentation context for its SOP class' };
        }
      });
    });
    client.on('associationRejected', (rejection: { result: number; source: number; reason: number }) => {
      failure = new PacsError(
        'PACS_ASSOCIATION_REJECTED',
        `${peer} rejected the association (result ${rejection.result}, source ${rejection.source}, reason ${rejection.reason})`,
      );
    });
    client.on('networkError', (error: Error) => {
      failure ??= new PacsError('PACS_NETWORK', `network error with ${peer}: ${networkCause(error)}`, { cause: error });
    });
    client.on('closed', settle);
    try {
      client.send(options.host, options.port, options.callingAeTitle, options.calledAeTitle, {
        connectTimeout: options.timeoutMs,
        associationTimeout: options.timeoutMs,
        pduTimeout: options.timeoutMs,
        // dcmjs-dimse hands these to tls.connect (which verifies the peer against `ca` and `host`).
        ...(options.tls ? { securityOptions: { ...options.tls, rejectUnauthorized: true, minVersion: DICOM_TLS_MIN_VERSION, ciphers: DICOM_TLS_CIPHERS } } : {}),
      });
      // dcmjs-dimse re-wraps socket errors without their code; the TLS ones (an untrusted certificate, a
      // refused client certificate) are only told apart by it, so it is read from the socket itself.
      (client as unknown as { network?: { socket?: Socket } }).network?.socket?.once('error', (error: NodeJS.ErrnoException) => {
        if (failure?.code === 'PACS_NETWORK' && typeof error.code === 'string') failure = new PacsError('PACS_NETWORK', `network error with ${peer}: ${error.code}`, { cause: error });
      });
    } catch (error) {
      failure = new PacsError('PACS_NETWORK', `could not connect to ${peer}: ${networkCause(error as Error)}`, { cause: error });
      settle();
    }
  });
}

/**
 * dcmjs-dimse proposes uncompressed data in one context offering implicit then explicit little endian, so a
 * peer that takes the first would make it re-encode an explicit VR file. A context per SOP class offering
 * exactly the file's syntax comes first in its choice of context, so the bytes go out as stored.
 */
function exactSyntaxContexts(views: readonly Part10View[]): InstanceType<typeof PresentationContext>[] {
  const uncompressed = new Set<string>([TransferSyntaxUid.ImplicitVRLittleEndian, TransferSyntaxUid.ExplicitVRLittleEndian]);
  const seen = new Set<string>();
  const contexts: InstanceType<typeof PresentationContext>[] = [];
  for (const view of views) {
    const key = `${view.sopClassUid} ${view.transferSyntaxUid}`;
    if (!uncompressed.has(view.transferSyntaxUid) || seen.has(key)) continue;
    seen.add(key);
    contexts.push(new PresentationContext(1, view.sopClassUid, view.transferSyntaxUid));
  }
  return contexts;
}

/** dcmjs-dimse re-wraps socket errors in plain Errors; the system code (ECONNREFUSED...) survives in the text. */
function networkCause(error: Error): string {
  const code = failureCode(error);
  if (code !== 'INTERNAL') return code;
  return /\b(E[A-Z]{3,})\b/.exec(error.message)?.[1] ?? (/timeout/i.test(error.message) ? 'timeout' : 'connection error');
}

function hex(status: number): string {
  return status.toString(16).padStart(4, '0').toUpperCase();
}
