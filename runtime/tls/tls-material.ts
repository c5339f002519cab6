import { readFileSync } from 'node:fs';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';

/** The certificate, key and optional client CA named by the configuration's TLS files, read from disk. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

/** Reads the TLS files of `config` (HTTPS and gRPC listeners); a file that cannot be read is CONFIG_INVALID. */
export function readTlsMaterial(config: Config): TlsMaterial {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new ClinferError('CONFIG_INVALID', `${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  return {
    cert: read(config.tlsCertFile!, 'tlsCertFile'),
    key: read(config.tlsKeyFile!, 'tlsKeyFile'),
    ...(config.tlsClientCaFile ? { ca: read(config.tlsClientCaFile, 'tlsClientCaFile') } : {}),
  };
}
