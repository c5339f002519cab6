import type { Logger } from '../log/logger.js';
import { sendCStore } from './cstore-scu.js';
import type { Destination, DestinationConfig } from './destination.js';
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
    case 'cstore':
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
            ...(log ? { log } : {}),
          }),
      };
  }
}
