import { unwatchFile, watchFile } from 'node:fs';
import type { Server as NetServer } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { createLogger, type Logger } from '../log/logger.js';
import { failureCode } from './pacs-error.js';
import { DEFAULT_TRANSFER_SYNTAXES } from './uids.js';
import { dimse } from './dimse-library.js';
import { DICOM_TLS_CIPHERS, DICOM_TLS_MIN_VERSION, readScpTls, type ScpTlsFiles, type TlsKeyMaterial } from './dicom-tls.js';
import { createStorageScpClass, type ScpShared } from './storage-scp.js';
import type { NegotiationPolicy } from './scp-negotiation.js';

/** One association's worth of received instances, handed over when the association ends. */
export interface ReceivedAssociation {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  /**
   * Part 10 files in arrival order: a fresh file meta (transfer syntax as negotiated, source AE = calling AE)
   * followed by the data set bytes exactly as received, compressed pixel data included. The callee owns them.
   */
  readonly instances: Uint8Array[];
  /**
   * 'released': the SCU released the association. 'aborted': A-ABORT, a lost connection, a timeout or
   * close(): the instances are those already answered with success, since the SCU now counts them as stored.
   */
  readonly ending: 'released' | 'aborted';
  /** C-STOREs answered "out of resources" (0xA700) because a limit was reached. */
  readonly refused: number;
  /** With `persistInstance`: its handle for each instance, in the same order (the callee removes them once done). */
  readonly persisted: string[];
}

export interface DimseScpOptions {
  /** Our AE title; an association called to another title is rejected (permanent, "called AE title not recognized"). */
  readonly aeTitle: string;
  /** Default '127.0.0.1'. */
  readonly host?: string;
  /** Default 0: any free port (read it from DimseScp.port). */
  readonly port?: number;
  /** Calling AE titles allowed in; empty (default): any. Others are rejected with "calling AE title not recognized". */
  readonly allowedCallingAeTitles?: readonly string[];
  /** Default 10 000. Further C-STOREs in the association are answered 0xA700. */
  readonly maxInstancesPerAssociation?: number;
  /** Sum of data set bytes kept per association; default 1 GiB. An instance that would pass it gets 0xA700. */
  readonly maxBytesPerAssociation?: number;
  /**
   * Associations open or still being handed to onAssociation at once; default 8. More are rejected
   * (transient, "local limit exceeded"). Memory held is at most maxAssociations x maxBytesPerAssociation.
   */
  readonly maxAssociations?: number;
  /** Default 'all-storage'. */
  readonly sopClasses?: NegotiationPolicy['sopClasses'];
  /** Default DEFAULT_TRANSFER_SYNTAXES (uncompressed, deflate, RLE, JPEG, JPEG-LS, JPEG 2000). */
  readonly transferSyntaxes?: readonly string[];
  /** Time from connection to the association request; default 30 s. */
  readonly associationTimeoutMs?: number;
  /** Longest silence between PDUs (and idle socket time) before the association is aborted; default 60 s. */
  readonly idleTimeoutMs?: number;
  /**
   * Called once per association that stored at least one instance, after it ends. C-STORE success was
   * already sent for every instance in it; close() waits for running calls. A throw is logged, not rethrown.
   */
  readonly onAssociation: (association: ReceivedAssociation) => Promise<void> | void;
  /**
   * Makes each received instance durable (e.g. written and fsynced to an inbox folder) before its C-STORE
   * is answered success, so that an instance the sender counts as stored survives a crash of this process.
   * A rejection answers the C-STORE "processing failure" (0x0110).
   */
  readonly persistInstance?: (part10: Uint8Array) => Promise<string>;
  /**
   * DICOM TLS (PS3.15 B.1 / B.10): only TLS connections are accepted, TLS 1.2 or later with the BCP 195
   * suites. With clientCaFile, a client without a certificate chaining to it fails the handshake, before any
   * association; AE title checks apply as without TLS. The files are read at start (CONFIG_INVALID when
   * unreadable) and again when they change, so certificates rotate without a restart.
   */
  readonly tls?: ScpTlsFiles;
  /** Names the settings in CONFIG_INVALID messages; default 'dicomScp'. */
  readonly settingPrefix?: string;
  readonly log?: Logger;
}

export interface DimseScp {
  readonly aeTitle: string;
  readonly host: string;
  /** The bound port (the real one when options.port was 0). */
  readonly port: number;
  /** Whether the SCP speaks DICOM TLS, and whether it requires client certificates. */
  readonly tls: 'off' | 'server-certificate' | 'client-certificate-required';
  /** Stops listening, drops open associations (their callbacks fire as 'aborted'), waits for running callbacks. */
  close(): Promise<void>;
}

/** A C-STORE and C-ECHO SCP on dcmjs-dimse's Server. Resolves once it listens. */
export async function startDimseScp(options: DimseScpOptions): Promise<DimseScp> {
  const log = options.log ?? createLogger('silent');
  const host = options.host ?? '127.0.0.1';
  const pending = new Set<Promise<void>>();
  const shared: ScpShared = {
    aeTitle: options.aeTitle,
    allowedCallingAeTitles: options.allowedCallingAeTitles ?? [],
    maxInstancesPerAssociation: options.maxInstancesPerAssociation ?? 10_000,
    maxBytesPerAssociation: options.maxBytesPerAssociation ?? 1024 ** 3,
    maxAssociations: options.maxAssociations ?? 8,
    policy: { sopClasses: options.sopClasses ?? 'all-storage', transferSyntaxes: options.transferSyntaxes ?? DEFAULT_TRANSFER_SYNTAXES },
    activeAssociations: 0,
    log,
    persist: options.persistInstance,
    deliver(association) {
      const run = Promise.resolve()
        .then(() => options.onAssociation(association))
        .catch((error: unknown) => log.error('pacs.scp.on_association_failed', { callingAeTitle: association.callingAeTitle, code: failureCode(error) }))
        .finally(() => pending.delete(run));
      pending.add(run);
      return run;
    },
  };

  const server = new dimse.Server(createStorageScpClass(shared));
  const idleTimeout = options.idleTimeoutMs ?? 60_000;
  const material = options.tls ? readScpTls(options.tls, options.settingPrefix ?? 'dicomScp') : undefined;
  const listenOptions = {
    connectTimeout: idleTimeout,
    pduTimeout: idleTimeout,
    associationTimeout: options.associationTimeoutMs ?? 30_000,
    // dcmjs-dimse makes a tls.Server with these (key, cert, ca, requestCert, rejectUnauthorized, versions, ciphers).
    ...(material ? { securityOptions: { ...secureContextOptions(material), requestCert: material.ca !== undefined, rejectUnauthorized: material.ca !== undefined } } : {}),
  };
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('networkError', onError);
    server.once('listening', () => {
      server.off('networkError', onError);
      resolve();
    });
    // dcmjs-dimse hands its first argument to net.Server.listen as is: an options object is how to bind a host.
    server.listen({ port: options.port ?? 0, host } as unknown as number, listenOptions);
  });
  server.on('networkError', (error: Error) => log.warn('pacs.scp.network_error', { reason: networkErrorKind(error) }));

  const netServer = innerNetServer(server);
  const address = netServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const tls = !material ? 'off' : material.ca ? 'client-certificate-required' : 'server-certificate';
  const stopWatching = options.tls ? watchTlsFiles(netServer as TlsServer, options.tls, options.settingPrefix ?? 'dicomScp', log) : () => {};
  log.info('pacs.scp.listening', { aeTitle: options.aeTitle, host, port, tls });

  let closing: Promise<void> | undefined;
  return {
    aeTitle: options.aeTitle,
    host,
    port,
    tls,
    close() {
      closing ??= (async () => {
        stopWatching();
        const closed = new Promise<void>((resolve) => (netServer.listening ? netServer.once('close', () => resolve()) : resolve()));
        server.close();
        await closed;
        while (pending.size > 0) await Promise.all([...pending]);
        log.info('pacs.scp.closed', { aeTitle: options.aeTitle, port });
      })();
      return closing;
    },
  };
}

function secureContextOptions(material: TlsKeyMaterial) {
  return { ...material, minVersion: DICOM_TLS_MIN_VERSION, ciphers: DICOM_TLS_CIPHERS } as const;
}

/**
 * Logs refused handshakes (no or untrusted client certificate, plain TCP, old protocol: by OpenSSL's reason
 * code only) and reloads the certificate, key and CA when their files change (a failed reload keeps the old).
 */
function watchTlsFiles(server: TlsServer, files: ScpTlsFiles, prefix: string, log: Logger): () => void {
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    log.warn('pacs.scp.tls_refused', { reason: failureCode(error) });
    socket.destroy();
  });
  const paths = [files.certFile, files.keyFile, ...(files.clientCaFile ? [files.clientCaFile] : [])];
  const reload = () => {
    try {
      server.setSecureContext(secureContextOptions(readScpTls(files, prefix)));
      log.info('pacs.scp.tls_reloaded', { files: paths.length });
    } catch (error) {
      log.error('pacs.scp.tls_reload_failed', { reason: (error as Error).message });
    }
  };
  for (const path of paths) watchFile(path, { interval: 1000 }, reload);
  return () => paths.forEach((path) => unwatchFile(path, reload));
}

/** dcmjs-dimse keeps its net.Server in a field it does not type; we need it for the bound port and close. */
function innerNetServer(server: InstanceType<typeof dimse.Server>): NetServer {
  const inner = (server as unknown as { server?: NetServer }).server;
  if (!inner) throw new Error('dcmjs-dimse Server has no net.Server after listening');
  return inner;
}

/** dcmjs-dimse error messages can quote parse failures; we log only what kind of failure it was. */
function networkErrorKind(error: Error): string {
  const message = error.message;
  if (/timeout/i.test(message)) return 'timeout';
  if (/Connection error/.test(message)) return 'connection';
  if (/reading PDU|sending PDU/.test(message)) return 'pdu';
  if (/DIMSE/.test(message)) return 'dimse';
  if ('code' in error && typeof error.code === 'string') return error.code;
  return 'other';
}
