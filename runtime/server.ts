import { readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Config } from './config/config-schema.js';
import { startGrpcServer, type GrpcEndpoint } from './grpc/grpc-server.js';
import { createApp } from './http/app.js';
import { PACKAGE_ROOT } from './util/own-files.js';
import { createTlsServer } from './tls/https-server.js';
import { createAuthenticator } from './auth/authenticator.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { openAuditLog } from './audit/open-audit-log.js';
import { openOutcomes } from './outcomes/open-outcomes.js';
import { ClinferError } from './errors/index.js';
import { createLogger, type Logger } from './log/logger.js';
import { Metrics } from './metrics/metrics.js';
import { ImagingPool } from './imaging/imaging-pool.js';
import { InferRequestParser } from './protocol/infer-request-pool.js';
import { startDicomNode, type DicomNode } from './dicom-node/dicom-node.js';
import { openFhirWriteBack, type FhirWriteBack } from './write-back/fhir-write-back.js';
import { exitHard } from './pool/hard-exit.js';
import { WorkerPool } from './pool/worker-pool.js';
import { ModelRepository } from './repository/model-repository.js';
import { createSchedulerFactory } from './scheduler/create-scheduler-factory.js';
import { DriftMonitor } from './monitoring/drift-monitor.js';
import { RepositoryWatcher } from './repository/repository-watcher.js';
import { registerDriftGauge } from './monitoring/drift-gauge.js';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface ClinferServer {
  /** http://host:port, with the port actually bound (for --port 0). */
  readonly url: string;
  /** The admin listener's URL (model control), undefined when none is configured. */
  readonly adminUrl: string | undefined;
  /** host:port of the gRPC endpoint, undefined when it is off. */
  readonly grpcAddress: string | undefined;
  /** Port of the DICOM C-STORE SCP, undefined when it is off. */
  readonly dicomPort: number | undefined;
  readonly repository: ModelRepository;
  readonly pool: WorkerPool;
  readonly metrics: Metrics;
  /** Stops accepting, answers what was accepted, unloads models, stops the workers. */
  close(): Promise<void>;
}

const PACKAGE_VERSION: string = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')).version;

/**
 * Wires the layers together (the one place that picks concrete classes) and starts listening.
 * Liveness answers at once; readiness turns true when every model folder has been tried.
 */
export async function startServer(config: Config, options: { log?: Logger } = {}): Promise<ClinferServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const pool = new WorkerPool({
    workers: config.workers,
    maxHeapMb: config.workerMaxHeapMb,
    onWorkerExit: (event) => {
      metrics.workerExits.inc();
      log.warn('an inference worker thread died; it is replaced and the requests it held are retried once', { threadId: event.threadId, exits: event.exits });
    },
    onWorkerAbandoned: (event) => {
      metrics.workersAbandoned.inc();
      metrics.stuckWorkers.set(event.stuck);
      log.error('a worker thread ran past its limit inside ONNX Runtime and was given up; a replacement serves, the stuck one holds a core until the process restarts', { model: event.key.slice(0, event.key.lastIndexOf('#')), task: event.task, limitMs: event.limitMs, stuckThreads: event.stuck });
      if (config.exitAfterStuckWorkers > 0 && event.stuck >= config.exitAfterStuckWorkers && !shuttingDown) {
        log.error('stuck worker threads reached exitAfterStuckWorkers: shutting down for the supervisor to restart the process', { stuckThreads: event.stuck });
        void restartForStuckWorkers();
      }
    },
    onStuckThreadEnded: (stuck) => {
      metrics.stuckWorkers.set(stuck);
      log.info('an abandoned worker thread\'s run returned; the thread ended and its core is free', { stuckThreads: stuck });
    },
  });
  let restartForStuckWorkers = async () => {};
  const audit = openAuditLog(config, log);
  const repository = new ModelRepository({
    root: resolve(config.models), backend: pool, metrics, log, config,
    schedulers: createSchedulerFactory({ backend: pool, metrics, audit }),
    driftMonitors: (reference, columns) => new DriftMonitor(reference, columns),
  });
  let outcomes;
  try {
    outcomes = openOutcomes(config, metrics, audit, repository);
  } catch (error) {
    await pool.close();
    throw error;
  }
  registerDriftGauge(metrics.registry, () => repository.readyVersions().flatMap((v) => (v.drift ? [{ model: v.name, version: v.version, values: v.drift.psi().values }] : [])));
  let shuttingDown = false;
  const auth = createAuthenticator(config);
  if (!auth.enabled && !config.insecure && !isLoopback(config.host)) {
    await pool.close();
    throw new ClinferError('CONFIG_INVALID', `refusing to serve ${config.host} without authentication: anyone on the network could call the models and read their metadata. Configure apiKeys, oidc or tlsClientCaFile (SECURITY.md), or pass --insecure (CLINFER_INSECURE=1) to accept the risk`);
  }
  if (config.adminListener && !auth.enabled && !config.insecure && !isLoopback(config.adminListener.host)) {
    await pool.close();
    throw new ClinferError('CONFIG_INVALID', `refusing to serve model control on ${config.adminListener.host} without authentication: configure apiKeys, oidc or tlsClientCaFile (SECURITY.md), or keep adminListener.host on loopback`);
  }
  if (!isLoopback(config.host) && !config.tlsCertFile) log.warn('serving without TLS on a non-loopback address: credentials and data cross the network in clear', { host: config.host });
  const rateLimiter = config.rateLimit ? new RateLimiter(config.rateLimit) : undefined;
  const imagingPool = new ImagingPool({ threads: config.imagingThreads, maxQueue: config.maxQueueSize });
  const imaging = { pool: imagingPool, limits: { maxImagePixels: config.maxImagePixels, maxFrames: config.maxFrames, maxDecodedBytes: config.maxDecodedBytes } };
  // Large JSON infer bodies are parsed on threads of their own (as many as imaging's); they start on first use.
  const inferRequests = new InferRequestParser({ threads: config.imagingThreads, maxQueue: config.maxQueueSize });
  let dicomNode: DicomNode;
  let fhirWriteBack: FhirWriteBack | undefined;
  try {
    dicomNode = await startDicomNode({ config, repository, imaging, metrics, audit, log });
    fhirWriteBack = await openFhirWriteBack({ config, metrics, log }).catch(async (error: unknown) => { await dicomNode.close(); throw error; });
  } catch (error) {
    await pool.close();
    await imagingPool.close();
    throw error;
  }
  const context = { config, repository, metrics, log, version: PACKAGE_VERSION, isShuttingDown: () => shuttingDown, auth, rateLimiter, audit, imaging, inferRequests, dicomNode, fhirWriteBack, outcomes };
  const app = createApp(context);

  const api = await listen(app, config, config.port, config.host, log);
  const http = api.server;
  // Model control on a listener of its own (e.g. a management VLAN), when configured; never inference.
  const admin = config.adminListener
    ? await listen(createApp(context, 'admin'), { ...config, tlsCertFile: config.adminListener.tlsCertFile, tlsKeyFile: config.adminListener.tlsKeyFile, tlsClientCaFile: config.adminListener.tlsClientCaFile }, config.adminListener.port, config.adminListener.host, log)
        .catch(async (error: unknown) => { await api.close(); throw error; })
    : undefined;
  const stopWatching = () => { api.stopWatching(); admin?.stopWatching(); };
  const watcher = config.watch ? new RepositoryWatcher(resolve(config.models), repository, log) : undefined;
  const url = api.url;
  let grpc: GrpcEndpoint | undefined;
  try {
    if (config.grpcPort >= 0) grpc = await startGrpcServer(context, config.host, config.grpcPort);
    await repository.loadAll();
    watcher?.start();
    // A failure here is logged, not fatal: what could not be processed stays in the inbox for the next start.
    await dicomNode.recover().catch((error: unknown) => log.error('DICOM instances left by a previous run could not be processed', { reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown' }));
  } catch (error) {
    await api.close();
    await admin?.close();
    await grpc?.close();
    await dicomNode.close();
    await fhirWriteBack?.close();
    await pool.close();
    await imagingPool.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      stopWatching();
      watcher?.stop();
      const stopped = Promise.all([new Promise((r) => http.close(r)), admin?.close()]);
      const dicomStopped = dicomNode.stopReceiving();
      http.closeIdleConnections();
      const grpcStopped = grpc?.close();
      // Accepted requests finish (each version drains) within the grace period; then the workers stop.
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((r) => { graceTimer = setTimeout(() => { log.warn('shutdown grace period over with requests still running', { graceMs: config.shutdownGraceMs }); r(); }, config.shutdownGraceMs); });
      await Promise.race([dicomStopped, graceOver]);
      await Promise.race([repository.close(), graceOver]);
      await dicomNode.close();
      // After the requests: what they queued is on disk; sends running now finish, the rest waits for the next start.
      await fhirWriteBack?.close();
      clearTimeout(graceTimer);
      await Promise.race([grpcStopped, graceOver]);
      // Runs still going now are abandoned and answered 503; a thread stuck inside ONNX Runtime cannot be
      // stopped, and pool.stuckThreads then tells the caller to end the process hard (pool/hard-exit.ts).
      await pool.close();
      if (pool.stuckThreads > 0) await new Promise((r) => setTimeout(r, 100)); // those 503s reach their sockets
      await imagingPool.close();
      await inferRequests.close();
      metrics.close();
      http.closeAllConnections();
      admin?.server.closeAllConnections();
      await stopped;
      outcomes?.close();
      // Last: every answered request is on record; the log ends with a signed shutdown checkpoint.
      await audit?.close();
    })();
    return closing;
  };
  restartForStuckWorkers = async () => {
    await close();
    exitHard();
  };
  return { url, adminUrl: admin?.url, grpcAddress: grpc?.address, dicomPort: dicomNode.scp?.port, repository, pool, metrics, close };
}

interface Listening {
  readonly server: Server;
  readonly url: string;
  readonly stopWatching: () => void;
  close(): Promise<void>;
}

/** An HTTP or HTTPS listener (by the TLS files of `tls`) serving `app` on host:port. */
async function listen(app: RequestListener, tls: Config, port: number, hostName: string, log: Logger): Promise<Listening> {
  let stopWatching = () => {};
  let server: Server;
  if (tls.tlsCertFile) {
    const secure = createTlsServer(tls, app, log);
    server = secure.server;
    stopWatching = secure.stopWatching;
  } else {
    server = createServer(app);
  }
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, hostName, () => {
      server.off('error', fail);
      ok();
    });
  });
  const host = hostName.includes(':') ? `[${hostName}]` : hostName;
  const url = `${tls.tlsCertFile ? 'https' : 'http'}://${host}:${(server.address() as AddressInfo).port}`;
  return {
    server, url, stopWatching,
    close: () => new Promise<void>((r) => { stopWatching(); server.close(() => r()); server.closeIdleConnections(); }),
  };
}
