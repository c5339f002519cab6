import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRules, configSchema } from '../../runtime/config/config-schema.js';
import { createLogger } from '../../runtime/log/logger.js';
import { createDestination } from '../../runtime/pacs/create-destination.js';
import { startDimseScp, type DimseScp, type ReceivedAssociation } from '../../runtime/pacs/dimse-scp.js';
import { PacsError } from '../../runtime/pacs/pacs-error.js';
import { readPart10 } from '../../runtime/pacs/part10.js';
import { StoreScp, dcmtkAvailable, echoscu, storescu } from '../helpers/dcmtk.js';
import { requirePeer } from '../helpers/peers.js';
import { DEMO_MODELS, FIXTURES as ALL_FIXTURES, startTestServer } from '../helpers/server.js';
import type { ClinferServer } from '../../runtime/server.js';
import { makePki } from '../helpers/pki.js';

/**
 * DICOM TLS (PS3.15 B.1 / B.10) on the C-STORE SCP and on C-STORE destinations, against DCMTK's TLS
 * options: storescu/echoscu `+tls key cert +cf ca` as senders, storescp `+tls` as the receiving archive.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/pacs/', import.meta.url));
const CT = join(FIXTURES, 'CT_small.dcm');
const SR = new Uint8Array(readFileSync(join(FIXTURES, 'test-SR.dcm')));

requirePeer('dcmtk', dcmtkAvailable());

const pki = makePki();
/** A second, unrelated CA: its certificates must be refused by anyone trusting only the first. */
const stranger = makePki();
afterAll(() => {
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(stranger.dir, { recursive: true, force: true });
});

const withClientCert = (p = pki) => ['+tls', p.clientKey, p.clientCert, '+cf', pki.ca];

function collector() {
  const associations: ReceivedAssociation[] = [];
  return { associations, onAssociation: async (a: ReceivedAssociation) => void associations.push(a) };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw TLS handshake from Node with the given client settings: 'secure', or the error code it ended with. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey), ...options });
    socket.once('secureConnect', () => {
      // TLS 1.3 checks the client certificate after the client's Finished: wait for the server's verdict.
      socket.once('data', () => undefined);
      setTimeout(() => (socket.destroy(), resolve('secure')), 300);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('C-STORE SCP with DICOM TLS and required client certificates', () => {
  const received = collector();
  const logLines: string[] = [];
  let scp: DimseScp;

  beforeAll(async () => {
    scp = await startDimseScp({
      aeTitle: 'CLINFER',
      port: 0,
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.ca },
      log: createLogger('debug', (line) => logLines.push(line)),
      onAssociation: received.onAssociation,
    });
  });
  afterAll(async () => {
    await scp?.close();
  });

  it('says it requires client certificates', () => {
    expect(scp.tls).toBe('client-certificate-required');
    expect(logLines.join('\n')).toMatch(/pacs\.scp\.listening.*client-certificate-required/);
  });

  it('answers echoscu +tls with a client certificate from the CA', async () => {
    const result = await echoscu({ port: scp.port, calledAeTitle: 'CLINFER', tlsArgs: withClientCert() });
    expect(result.code, result.stderr).toBe(0);
  }, 20_000);

  it('stores what storescu +tls sends with a valid client certificate', async () => {
    const before = received.associations.length;
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', callingAeTitle: 'MODALITY1', files: [CT], tlsArgs: withClientCert() });
    expect(result.code, result.stderr).toBe(0);
    await until(() => received.associations.length > before, 5000, 'the association');
    const association = received.associations.at(-1)!;
    expect(association.callingAeTitle).toBe('MODALITY1');
    expect(association.instances.map((b) => readPart10(b).sopInstanceUid)).toEqual([readPart10(readFileSync(CT)).sopInstanceUid]);
  }, 20_000);

  it('refuses storescu without a client certificate at the handshake: nothing stored', async () => {
    const before = received.associations.length;
    const refusedBefore = logLines.filter((l) => l.includes('pacs.scp.tls_refused')).length;
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [CT], tlsArgs: ['+tla', '+cf', pki.ca] });
    expect(result.code).not.toBe(0);
    expect(result.timedOut).toBe(false);
    await until(() => logLines.filter((l) => l.includes('pacs.scp.tls_refused')).length > refusedBefore, 5000, 'the refusal logged');
    expect(received.associations.length).toBe(before);
    expect(logLines.join('\n')).not.toMatch(/association_accepted.*STORESCU/);
  }, 20_000);

  it('refuses a client certificate from another CA', async () => {
    const before = received.associations.length;
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [CT], tlsArgs: withClientCert(stranger) });
    expect(result.code).not.toBe(0);
    expect(result.timedOut).toBe(false);
    expect(received.associations.length).toBe(before);
  }, 20_000);

  it('refuses plain TCP on the TLS port: no association', async () => {
    const before = received.associations.length;
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [CT] });
    expect(result.code).not.toBe(0);
    expect(result.timedOut).toBe(false);
    expect(received.associations.length).toBe(before);
  }, 20_000);

  it('still checks AE titles over TLS', async () => {
    const result = await echoscu({ port: scp.port, calledAeTitle: 'SOMEONE-ELSE', tlsArgs: withClientCert() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Called AE Title Not Recognized/);
  }, 20_000);

  it('accepts TLS 1.2 with a BCP 195 suite, refuses CBC suites and TLS 1.1', async () => {
    // The positive controls show the client settings themselves work; only the refused parameter differs.
    expect(await handshake(scp.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toBe('secure');
    expect(await handshake(scp.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256' })).not.toBe('secure');
    expect(await handshake(scp.port, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).not.toBe('secure');
  }, 20_000);
});

describe('C-STORE SCP with DICOM TLS, server certificate only', () => {
  const received = collector();
  let scp: DimseScp;

  beforeAll(async () => {
    scp = await startDimseScp({ aeTitle: 'CLINFER', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey }, onAssociation: received.onAssociation });
  });
  afterAll(async () => {
    await scp?.close();
  });

  it('stores from storescu +tla (no client certificate), which verifies the server against the CA', async () => {
    expect(scp.tls).toBe('server-certificate');
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [CT], tlsArgs: ['+tla', '+cf', pki.ca] });
    expect(result.code, result.stderr).toBe(0);
    await until(() => received.associations.length === 1, 5000, 'the association');
  }, 20_000);

  it('is refused by storescu that trusts another CA', async () => {
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [CT], tlsArgs: ['+tla', '+cf', stranger.ca] });
    expect(result.code).not.toBe(0);
    expect(received.associations.length).toBe(1);
  }, 20_000);
});

describe('SCP certificate rotation', () => {
  it('serves a new certificate once its files change, without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinfer-scp-tls-'));
    const certFile = join(dir, 'scp.pem');
    const keyFile = join(dir, 'scp.key');
    copyFileSync(pki.serverCert, certFile);
    copyFileSync(pki.serverKey, keyFile);
    const logLines: string[] = [];
    const scp = await startDimseScp({ aeTitle: 'CLINFER', port: 0, tls: { certFile, keyFile }, log: createLogger('debug', (line) => logLines.push(line)), onAssociation: () => undefined });
    try {
      const trustingStranger = { port: scp.port, calledAeTitle: 'CLINFER', tlsArgs: ['+tla', '+cf', stranger.ca] };
      expect((await echoscu(trustingStranger)).code).not.toBe(0);
      copyFileSync(stranger.serverKey, keyFile);
      copyFileSync(stranger.serverCert, certFile);
      // Polled (1 s): the two files may be seen changed in different polls, the first reload then fails (a
      // key that does not match) and keeps the old certificate; the second succeeds.
      await until(() => logLines.some((l) => l.includes('pacs.scp.tls_reloaded')), 15_000, 'the reload');
      const result = await echoscu(trustingStranger);
      expect(result.code, result.stderr).toBe(0);
    } finally {
      await scp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('DICOM TLS settings', () => {
  const parse = (input: unknown) => {
    const parsed = configSchema.parse(input);
    return configRules(parsed)[0];
  };

  it('refuses an SCP certificate without its key, and a client CA without a certificate', () => {
    expect(parse({ dicomScp: { tlsCertFile: pki.serverCert } })).toEqual(['dicomScp.tlsKeyFile', expect.stringContaining('both')]);
    expect(parse({ dicomScp: { tlsClientCaFile: pki.ca } })?.[0]).toBe('dicomScp.tlsClientCaFile');
    expect(parse({ dicomScp: { tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey, tlsClientCaFile: pki.ca } })).toBeUndefined();
  });

  it('refuses a destination client certificate without tlsCaFile (TLS is turned on by the CA)', () => {
    const destination = { name: 'a', kind: 'cstore', host: 'h', port: 104, calledAeTitle: 'A' };
    expect(parse({ dicomDestinations: [{ ...destination, tlsCertFile: pki.clientCert, tlsKeyFile: pki.clientKey }] })?.[0]).toBe('dicomDestinations.0.tlsCaFile');
    expect(parse({ dicomDestinations: [{ ...destination, tlsCaFile: pki.ca, tlsCertFile: pki.clientCert }] })?.[0]).toBe('dicomDestinations.0.tlsKeyFile');
    expect(parse({ dicomDestinations: [{ ...destination, tlsCaFile: pki.ca }] })).toBeUndefined();
  });

  it('names the setting of an unreadable file, for the SCP and for a destination', async () => {
    await expect(startDimseScp({ aeTitle: 'CLINFER', tls: { certFile: join(pki.dir, 'missing.pem'), keyFile: pki.serverKey }, onAssociation: () => undefined })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/^dicomScp\.tlsCertFile .*missing\.pem cannot be read \(ENOENT\)/),
    });
    expect(() =>
      createDestination({ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: 104, calledAeTitle: 'A', callingAeTitle: 'CLINFER', timeoutMs: 1000, tlsCaFile: join(pki.dir, 'nope.pem') }),
    ).toThrow(/dicomDestinations\[archive\]\.tlsCaFile .*nope\.pem cannot be read/);
  });
});

describe('C-STORE destination with DICOM TLS, to storescp +tls (which requires a client certificate)', () => {
  let archive: StoreScp;

  beforeAll(async () => {
    archive = await StoreScp.start({ aeTitle: 'ARCHIVE', tlsArgs: ['+tls', pki.serverKey, pki.serverCert, '+cf', pki.ca] });
  });
  afterAll(async () => {
    await archive?.stop();
  });

  const destination = (tls: { tlsCaFile?: string; tlsCertFile?: string; tlsKeyFile?: string }) =>
    createDestination({ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE', callingAeTitle: 'CLINFER', timeoutMs: 8000, ...tls });

  it('delivers over TLS with our client certificate, bytes as sent', async () => {
    const report = await destination({ tlsCaFile: pki.ca, tlsCertFile: pki.clientCert, tlsKeyFile: pki.clientKey }).send([SR]);
    expect(report.outcomes).toEqual([expect.objectContaining({ ok: true, sopInstanceUid: readPart10(SR).sopInstanceUid })]);
    const files = archive.files();
    expect(files).toHaveLength(1);
    expect(readPart10(new Uint8Array(readFileSync(files[0]!))).sopInstanceUid).toBe(readPart10(SR).sopInstanceUid);
  }, 20_000);

  it('fails with PACS_NETWORK, naming the TLS cause, when storescp wants a client certificate we do not have', async () => {
    const error = await destination({ tlsCaFile: pki.ca }).send([SR]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacsError);
    expect(error).toMatchObject({ code: 'PACS_NETWORK', message: expect.stringMatching(/ARCHIVE@127\.0\.0\.1:\d+ \(TLS\): ERR_SSL_\w+/) });
    expect(archive.files()).toHaveLength(1);
  }, 20_000);

  it('refuses a peer whose certificate does not chain to tlsCaFile', async () => {
    const error = await destination({ tlsCaFile: stranger.ca, tlsCertFile: pki.clientCert, tlsKeyFile: pki.clientKey }).send([SR]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PACS_NETWORK', message: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/) });
    expect(archive.files()).toHaveLength(1);
  }, 20_000);

  it('without TLS settings, gets no association from the TLS archive', async () => {
    const error = await destination({}).send([SR]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacsError);
    expect(archive.files()).toHaveLength(1);
  }, 20_000);
});

describe('clinfer configured for DICOM TLS both ways (dicomScp and a cstore destination)', () => {
  // A paediatric frontal chest CR, as the demo model was made for (synthetic).
  const CHEST = join(ALL_FIXTURES, 'dicom-scope/chest-cr-paediatric.dcm');
  let archive: StoreScp;
  let server: ClinferServer;

  beforeAll(async () => {
    archive = await StoreScp.start({ aeTitle: 'ARCHIVE', tlsArgs: ['+tls', pki.serverKey, pki.serverCert, '+cf', pki.ca] });
    server = await startTestServer(DEMO_MODELS, {
      dicomRoutes: [{ model: 'chest-xray-pneumonia', modality: ['CR'] }],
      dicomScp: { aeTitle: 'CLINFER', port: 0, tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey, tlsClientCaFile: pki.ca },
      dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE', tlsCaFile: pki.ca, tlsCertFile: pki.clientCert, tlsKeyFile: pki.clientKey }],
      dicomStudySettleMs: 200,
      deliveryRetry: { initialMs: 50, maxMs: 500 },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await archive?.stop();
  });

  it('receives a CR from storescu +tls and sends its SR to storescp +tls', async () => {
    expect((await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [CHEST] })).code).not.toBe(0);
    const result = await storescu({ port: server.dicomPort!, calledAeTitle: 'CLINFER', files: [CHEST], tlsArgs: withClientCert() });
    expect(result.code, result.stderr).toBe(0);
    const isSr = (file: string) => readPart10(new Uint8Array(readFileSync(file))).sopClassUid.startsWith('1.2.840.10008.5.1.4.1.1.88.');
    await until(() => archive.files().some(isSr), 30_000, 'the SR in the TLS archive');
  }, 60_000);
});
