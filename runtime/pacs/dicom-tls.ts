import { readFileSync } from 'node:fs';
import { ClinferError } from '../errors/index.js';

/**
 * DICOM TLS (PS3.15 B.1, the Basic TLS Secure Transport Connection Profile, as revised by B.10, the
 * Non-Downgrading BCP 195 profile): TLS 1.2 or later, and only the cipher suites BCP 195 (RFC 9325 4.2)
 * recommends: the TLS 1.3 suites, and for TLS 1.2 ECDHE or DHE key exchange with AES-GCM or
 * ChaCha20-Poly1305. Node's default list starts with these but also allows CBC suites ("HIGH"), which BCP
 * 195 does not recommend, so the list is given here. It is DCMTK's default profile (+py) too.
 */
export const DICOM_TLS_MIN_VERSION = 'TLSv1.2';
export const DICOM_TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/** The SCP's certificate files (PEM); with clientCaFile, a client certificate chaining to it is required. */
export interface ScpTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string | undefined;
}

/** A C-STORE destination's files (PEM): the CA its certificate must chain to, and optionally ours to present. */
export interface ScuTlsFiles {
  readonly caFile: string;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

export interface TlsKeyMaterial {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

/** The SCP's certificate, key and client CA, read now; CONFIG_INVALID naming the setting when one cannot be read. */
export function readScpTls(files: ScpTlsFiles, prefix: string): TlsKeyMaterial {
  return {
    cert: readPem(files.certFile, `${prefix}.tlsCertFile`),
    key: readPem(files.keyFile, `${prefix}.tlsKeyFile`),
    ...(files.clientCaFile ? { ca: readPem(files.clientCaFile, `${prefix}.tlsClientCaFile`) } : {}),
  };
}

/** A destination's CA and (when given) client certificate and key, read now; CONFIG_INVALID as above. */
export function readScuTls(files: ScuTlsFiles, prefix: string): TlsKeyMaterial {
  return {
    ca: readPem(files.caFile, `${prefix}.tlsCaFile`),
    ...(files.certFile ? { cert: readPem(files.certFile, `${prefix}.tlsCertFile`) } : {}),
    ...(files.keyFile ? { key: readPem(files.keyFile, `${prefix}.tlsKeyFile`) } : {}),
  };
}

function readPem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ClinferError('CONFIG_INVALID', `${setting} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
