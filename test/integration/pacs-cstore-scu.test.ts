import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendCStore } from '../../runtime/pacs/cstore-scu.js';
import { startDimseScp, type ReceivedAssociation } from '../../runtime/pacs/dimse-scp.js';
import { PacsError } from '../../runtime/pacs/pacs-error.js';
import { part10Dataset, readPart10 } from '../../runtime/pacs/part10.js';
import { TransferSyntaxUid } from '../../runtime/pacs/uids.js';
import { StoreScp, dcmdumpValue, dcmtkAvailable, freePort, pixelDataItems } from '../helpers/dcmtk.js';
import { requirePeer } from '../helpers/peers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pacs/', import.meta.url));
const file = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const CT = file('CT_small.dcm');
const MR_JPEG_LS = file('MR_small_jpeg_ls_lossless.dcm');

requirePeer('dcmtk', dcmtkAvailable());

describe('C-STORE SCU to DCMTK storescp', () => {
  let storescp: StoreScp;

  beforeAll(async () => {
    storescp = await StoreScp.start({ aeTitle: 'STORESCP' });
  });
  afterAll(async () => {
    await storescp?.stop();
  });

  it('stores an instance that dcmdump reads back with the same SOP Instance UID', async () => {
    const report = await sendCStore([CT], { host: '127.0.0.1', port: storescp.port, calledAeTitle: 'STORESCP', callingAeTitle: 'CLINFER', timeoutMs: 10_000 });
    const sopInstanceUid = readPart10(CT).sopInstanceUid;
    expect(report.outcomes).toEqual([{ index: 0, sopInstanceUid, ok: true, status: 0 }]);
    const stored = storescp.files().filter((path) => path.includes(sopInstanceUid));
    expect(stored).toHaveLength(1);
    expect(await dcmdumpValue(stored[0]!, '0008,0018')).toBe(sopInstanceUid);
  }, 20_000);

  it('sends a JPEG-LS instance in JPEG-LS, pixel data unchanged', async () => {
    const report = await sendCStore([MR_JPEG_LS], { host: '127.0.0.1', port: storescp.port, calledAeTitle: 'STORESCP', callingAeTitle: 'CLINFER', timeoutMs: 10_000 });
    expect(report.outcomes[0]?.ok).toBe(true);
    const stored = storescp.files().find((path) => path.includes(readPart10(MR_JPEG_LS).sopInstanceUid));
    expect(stored).toBeDefined();
    expect(await dcmdumpValue(stored!, '0002,0010')).toBe(TransferSyntaxUid.JpegLsLossless);
    expect(await pixelDataItems(stored!)).toEqual(await pixelDataItems(MR_JPEG_LS));
  }, 20_000);
});

describe('C-STORE SCU to our own SCP', () => {
  it('sends every transfer syntax byte for byte as stored (no re-encoding), in one association', async () => {
    const names = ['CT_small.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm', 'MR_small_bigendian.dcm', 'image_dfl.dcm'];
    const instances = names.map(file);
    const received: ReceivedAssociation[] = [];
    const scp = await startDimseScp({ aeTitle: 'CLINFER', onAssociation: (a) => void received.push(a) });
    try {
      const report = await sendCStore(instances, { host: '127.0.0.1', port: scp.port, calledAeTitle: 'CLINFER', callingAeTitle: 'SENDER', timeoutMs: 10_000 });
      expect(report.outcomes.map((o) => o.ok)).toEqual(names.map(() => true));
      const deadline = Date.now() + 5000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(received).toHaveLength(1);
      expect(received[0]!.callingAeTitle).toBe('SENDER');
      received[0]!.instances.forEach((got, index) => {
        const sent = instances[index]!;
        expect(readPart10(got).transferSyntaxUid).toBe(readPart10(sent).transferSyntaxUid);
        const sentDataset = part10Dataset(sent);
        // A deflated data set of odd length goes out with one NUL of padding (PS3.5 A.5); all else is identical.
        const expected = sentDataset.length % 2 === 1 ? Buffer.concat([sentDataset, Buffer.alloc(1)]) : Buffer.from(sentDataset);
        expect(Buffer.from(part10Dataset(got)).equals(expected), names[index]).toBe(true);
      });
    } finally {
      await scp.close();
    }
  }, 20_000);

  it('rejects with PACS_ASSOCIATION_REJECTED when the peer does not know the called AE title', async () => {
    const scp = await startDimseScp({ aeTitle: 'CLINFER', onAssociation: () => undefined });
    try {
      const error = await sendCStore([CT], { host: '127.0.0.1', port: scp.port, calledAeTitle: 'NOT-CLINFER', callingAeTitle: 'SENDER', timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PacsError);
      expect((error as PacsError).code).toBe('PACS_ASSOCIATION_REJECTED');
      expect((error as PacsError).message).toMatch(/reason 7/);
    } finally {
      await scp.close();
    }
  }, 20_000);

  it('reports a refused instance (0xA700) as failed and the others as stored', async () => {
    const scp = await startDimseScp({ aeTitle: 'CLINFER', maxInstancesPerAssociation: 1, onAssociation: () => undefined });
    try {
      const report = await sendCStore([CT, MR_JPEG_LS], { host: '127.0.0.1', port: scp.port, calledAeTitle: 'CLINFER', callingAeTitle: 'SENDER', timeoutMs: 10_000 });
      expect(report.outcomes.map((o) => [o.ok, o.status])).toEqual([[true, 0], [false, 0xa700]]);
      expect(report.outcomes[1]!.reason).toMatch(/A700/);
    } finally {
      await scp.close();
    }
  }, 20_000);

  it('rejects with PACS_NETWORK when nothing listens', async () => {
    const port = await freePort();
    const error = await sendCStore([CT], { host: '127.0.0.1', port, calledAeTitle: 'ANY', callingAeTitle: 'SENDER', timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((error as PacsError).code).toBe('PACS_NETWORK');
    expect((error as PacsError).message).toMatch(/ECONNREFUSED/);
  }, 20_000);

  it('rejects with PACS_TIMEOUT when the peer accepts the connection but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket.resume())); // read (and drop) so that the close is seen
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      // The peer never answers, so only the client's own timer can end the exchange: the code and the
      // configured 500 ms in the message say that timer fired (no stopwatch; a hang fails by the test timeout),
      // and the timer closes the connection, which the peer sees.
      const error = await sendCStore([CT], { host: '127.0.0.1', port, calledAeTitle: 'ANY', callingAeTitle: 'SENDER', timeoutMs: 500 }).catch((e: unknown) => e);
      expect((error as PacsError).code).toBe('PACS_TIMEOUT');
      expect((error as PacsError).message).toMatch(/did not finish within 500 ms/);
      expect(sockets).toHaveLength(1);
      await new Promise<void>((resolve) => (sockets[0]!.closed ? resolve() : sockets[0]!.once('close', () => resolve())));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 20_000);

  it('rejects with PACS_INVALID_PART10 for bytes that are not a Part 10 file', async () => {
    const error = await sendCStore([new Uint8Array(200)], { host: '127.0.0.1', port: 1, calledAeTitle: 'ANY', callingAeTitle: 'SENDER', timeoutMs: 1000 }).catch((e: unknown) => e);
    expect((error as PacsError).code).toBe('PACS_INVALID_PART10');
  });
});
