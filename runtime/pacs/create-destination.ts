import type { Logger } from '../log/logger.js';
import { sendCStore } from './cstore-scu.js';
import type { CStoreDestinationConfig, Destination, DestinationConfig } from './destination.js';
import { readScuTls, type TlsKeyMaterial } from './dicom-tls.js';
import { sendStowRs } from './stow-client.js';

/** The one place that maps a destination's configuration to its sender. */
export function createDestination(config: DestinationConfig, log?: Logger): Destination {
  switch (config.kind) {
    case 'stowrs':
      return {
        name: config.name,
        kind: config.kind,
        send: (instances) => sendStowRs(instances, { baseUrl: config.url, headers: config.headers, timeoutMs: config.timeoutMs, ...(log ? { log } : {}) }),
      };
    case 'cstore': {
      const tls = cstoreTls(config, log);
      return {
        name: config.name,
        kind: config.kind,
        send: (instances) =>
          sendCStore(instances, {
            host: config.host,
            port: config.port,
            calledAeTitle: config.calledAeTitle,
            callingAeTitle: config.callingAeTitle,
            timeoutMs: config.timeoutMs,
            ...(tls ? { tls: tls() } : {}),
            ...(log ? { log } : {}),
          }),
      };
    }
  }
}

/**
 * A destination's TLS files are read now (CONFIG_INVALID at start when one cannot be read) and again for
 * each association, so rotated certificates are picked up; a failed re-read keeps the last good ones.
 */
function cstoreTls(config: CStoreDestinationConfig, log: Logger | undefined): (() => TlsKeyMaterial) | undefined {
  if (!config.tlsCaFile) return undefined;
  const files = { caFile: config.tlsCaFile, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile };
  const prefix = `dicomDestinations[${config.name}]`;
  let last = readScuTls(files, prefix);
  return () => {
    try {
      last = readScuTls(files, prefix);
    } catch (error) {
      log?.error('pacs.cstore.tls_reload_failed', { destination: config.name, reason: (error as Error).message });
    }
    return last;
  };
}
