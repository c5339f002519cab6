import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Config } from './config/config-schema.js';
import { startGrpcServer, type GrpcEndpoint } from './grpc/grpc-server.js';
import { createApp } from './http/app.js';
import { createTlsServer } from './http/tls.js';
import { createAuthenticator } from './auth/authenticator.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { AuditLog } from './audit/audit-log.js';
import { ClinferError } from './errors/index.js';
import { createLogger, type Logger } from './log/logger.js';
import { Metrics } from './metrics/metrics.js';
import { ImagingPool } from './imaging/imaging-pool.js';
import { startDicomNode, type DicomNode } from './dicom-node/dicom-node.js';
import { WorkerPool } from './pool/worker-pool.js';
import { ModelRepository } from './repository/model-repository.js';
import { RepositoryWatcher } from './repository/repository-watcher.js';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface ClinferServer {
  /** http://host:port, with the port actually bound (for --port 0). */
  readonly url: string;
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

const PACKAGE_VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

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
  });
  const audit = config.auditLog ? new AuditLog(config.auditLog) : undefined;
  const repository = new ModelRepository({ root: resolve(config.models), pool, metrics, log, config, audit });
  metrics.driftSource = () => repository.readyVersions().filter((v) => v.drift).map((v) => ({ model: v.name, version: v.version, values: v.drift!.psi().values }));
  let shuttingDown = false;
  const auth = createAuthenticator(config);
  if (!auth.enabled && !config.insecure && !isLoopback(config.host)) {
    await pool.close();
    throw new ClinferError('CONFIG_INVALID', `refusing to serve ${config.host} without authentication: anyone on the network could call the models and read their metadata. Configure apiKeys, oidc or tlsClientCaFile (SECURITY.md), or pass --insecure (CLINFER_INSECURE=1) to accept the risk`);
  }
  if (!isLoopback(config.host) && !config.tlsCertFile) log.warn('serving without TLS on a non-loopback address: credentials and data cross the network in clear', { host: config.host });
  const rateLimiter = config.rateLimit ? new RateLimiter(config.rateLimit) : undefined;
  const imagingPool = new ImagingPool({ threads: config.imagingThreads, maxQueue: config.maxQueueSize });
  const imaging = { pool: imagingPool, limits: { maxImagePixels: config.maxImagePixels, maxFrames: config.maxFrames, maxDecodedBytes: config.maxDecodedBytes } };
  let dicomNode: DicomNode;
  try {
    dicomNode = await startDicomNode({ config, repository, imaging, metrics, audit, log });
  } catch (error) {
    await pool.close();
    await imagingPool.close();
    throw error;
  }
  const context = { config, repository, metrics, log, version: PACKAGE_VERSION, isShuttingDown: () => shuttingDown, auth, rateLimiter, audit, imaging, dicomNode };
  const app = createApp(context);

  let stopWatching = () => {};
  let http: Server;
  if (config.tlsCertFile) {
    const tls = createTlsServer(config, app, log);
    http = tls.server;
    stopWatching = tls.stopWatching;
  } else {
    http = createServer(app);
  }
  http.keepAliveTimeout = 65_000;
  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(config.port, config.host, () => {
      http.off('error', fail);
      ok();
    });
  });
  const watcher = config.watch ? new RepositoryWatcher(resolve(config.models), repository, log) : undefined;
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${config.tlsCertFile ? 'https' : 'http'}://${host}:${port}`;
  let grpc: GrpcEndpoint | undefined;
  try {
    if (config.grpcPort >= 0) grpc = await startGrpcServer(context, config.host, config.grpcPort);
    await repository.loadAll();
    watcher?.start();
    // A failure here is logged, not fatal: what could not be processed stays in the inbox for the next start.
    await dicomNode.recover().catch((error: unknown) => log.error('DICOM instances left by a previous run could not be processed', { reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown' }));
  } catch (error) {
    await new Promise((r) => http.close(r));
    await grpc?.close();
    await dicomNode.close();
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
      const stopped = new Promise((r) => http.close(r));
      const dicomStopped = dicomNode.stopReceiving();
      http.closeIdleConnections();
      const grpcStopped = grpc?.close();
      // Accepted requests finish (each version drains) within the grace period; then the workers stop.
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((r) => { graceTimer = setTimeout(() => { log.warn('shutdown grace period over with requests still running', { graceMs: config.shutdownGraceMs }); r(); }, config.shutdownGraceMs); });
      await Promise.race([dicomStopped, graceOver]);
      await Promise.race([repository.close(), graceOver]);
      await dicomNode.close();
      clearTimeout(graceTimer);
      await Promise.race([grpcStopped, graceOver]);
      await pool.close();
      await imagingPool.close();
      metrics.close();
      http.closeAllConnections();
      await stopped;
    })();
    return closing;
  };
  return { url, grpcAddress: grpc?.address, dicomPort: dicomNode.scp?.port, repository, pool, metrics, close };
}
