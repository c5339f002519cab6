import { unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { RequestListener } from 'node:http';
import type { Config } from '../config/config-schema.js';
import type { Logger } from '../log/logger.js';
import { readTlsMaterial } from './tls-material.js';

/**
 * An HTTPS server whose certificate and key are reloaded when their files change (certificate rotation
 * without a restart). With a client CA, client certificates are requested and checked against it; the
 * authenticator accepts only authorized ones, so callers with a bearer token need no certificate.
 */
export function createTlsServer(config: Config, app: RequestListener, log: Logger): { server: HttpsServer; stopWatching: () => void } {
  const material = readTlsMaterial(config);
  const server = createHttpsServer({ ...material, requestCert: material.ca !== undefined, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, app);
  const files = [config.tlsCertFile!, config.tlsKeyFile!, ...(config.tlsClientCaFile ? [config.tlsClientCaFile] : [])];
  const reload = () => {
    try {
      const next = readTlsMaterial(config);
      server.setSecureContext({ ...next, minVersion: 'TLSv1.2' });
      log.info('tls material reloaded', { files: files.length });
    } catch (error) {
      log.error('tls reload failed, keeping the previous certificate', { error: (error as Error).message });
    }
  };
  for (const f of files) watchFile(f, { interval: 1000 }, reload);
  return { server, stopWatching: () => files.forEach((f) => unwatchFile(f, reload)) };
}
