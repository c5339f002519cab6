import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/log/logger.js';
import { startDimseScp, type DimseScp, type ReceivedAssociation } from '../../runtime/pacs/dimse-scp.js';
import { readPart10 } from '../../runtime/pacs/part10.js';
import { TransferSyntaxUid } from '../../runtime/pacs/uids.js';
import { dcmtkAvailable, echoscu, pixelDataItems, storescu } from '../helpers/dcmtk.js';
import { requirePeer } from '../helpers/peers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pacs/', import.meta.url));
const CT = join(FIXTURES, 'CT_small.dcm');
const MR_JPEG_LS = join(FIXTURES, 'MR_small_jpeg_ls_lossless.dcm');
const MR_J2K = join(FIXTURES, 'MR_small_jp2klossless.dcm');
const MR = join(FIXTURES, 'MR_small.dcm');

/** Collects what an SCP hands over; `next(n)` waits (bounded) for the n-th association. */
function collector() {
  const associations: ReceivedAssociation[] = [];
  return {
    associations,
    onAssociation: async (a: ReceivedAssociation) => void associations.push(a),
    async next(count: number, timeoutMs = 5000): Promise<ReceivedAssociation> {
      const deadline = Date.now() + timeoutMs;
      while (associations.length < count) {
        if (Date.now() > deadline) throw new Error(`association ${count} did not arrive within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return associations[count - 1]!;
    },
  };
}

requirePeer('dcmtk', dcmtkAvailable());

describe('DICOM SCP (C-ECHO, C-STORE) against DCMTK echoscu/storescu', () => {
  const received = collector();
  const logLines: string[] = [];
  let scp: DimseScp;

  beforeAll(async () => {
    scp = await startDimseScp({ aeTitle: 'CLINFER', port: 0, log: createLogger('debug', (line) => logLines.push(line)), onAssociation: received.onAssociation });
  });
  afterAll(async () => {
    await scp?.close();
  });

  it('listens on loopback on a free port', () => {
    expect(scp.host).toBe('127.0.0.1');
    expect(scp.port).toBeGreaterThan(0);
  });

  it('answers C-ECHO', async () => {
    const result = await echoscu({ port: scp.port, calledAeTitle: 'CLINFER' });
    expect(result.code, result.stderr).toBe(0);
  }, 20_000);

  it('rejects an association called to another AE title (permanent, service user, called AE not recognized)', async () => {
    const result = await echoscu({ port: scp.port, calledAeTitle: 'SOMEONE-ELSE' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Rejected Permanent/);
    expect(result.stderr).toMatch(/Called AE Title Not Recognized/);
  }, 20_000);

  it('keeps two instances of one association, one JPEG-LS as sent, and calls back once when it is released', async () => {
    const before = received.associations.length;
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', callingAeTitle: 'MODALITY1', proposal: '-xt', files: [CT, MR_JPEG_LS] });
    expect(result.code, result.stderr).toBe(0);
    const association = await received.next(before + 1);
    expect(association.callingAeTitle).toBe('MODALITY1');
    expect(association.calledAeTitle).toBe('CLINFER');
    expect(association.ending).toBe('released');
    expect(association.refused).toBe(0);
    expect(association.instances).toHaveLength(2);

    const [ct, mr] = association.instances.map((bytes) => readPart10(bytes));
    expect(ct).toMatchObject({ sopInstanceUid: readPart10(readFileSync(CT)).sopInstanceUid, transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian });
    expect(mr).toMatchObject({ sopInstanceUid: readPart10(readFileSync(MR_JPEG_LS)).sopInstanceUid, transferSyntaxUid: TransferSyntaxUid.JpegLsLossless });
    // The bytes we hold carry the same pixel data as the sent files: the JPEG-LS stream was not decoded.
    expect(await pixelDataItems(association.instances[0]!)).toEqual(await pixelDataItems(CT));
    expect(await pixelDataItems(association.instances[1]!)).toEqual(await pixelDataItems(MR_JPEG_LS));
  }, 30_000);

  it('calls back again for a second association (JPEG 2000 kept as sent)', async () => {
    const before = received.associations.length;
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', proposal: '-xv', files: [MR_J2K] });
    expect(result.code, result.stderr).toBe(0);
    const association = await received.next(before + 1);
    expect(association.instances).toHaveLength(1);
    expect(readPart10(association.instances[0]!).transferSyntaxUid).toBe(TransferSyntaxUid.Jpeg2000Lossless);
    expect(await pixelDataItems(association.instances[0]!)).toEqual(await pixelDataItems(MR_J2K));
    expect(received.associations).toHaveLength(before + 1);
  }, 30_000);

  it('hands over what was stored when the SCU aborts instead of releasing', async () => {
    const before = received.associations.length;
    const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', abort: true, files: [MR] });
    expect(result.code, result.stderr).toBe(0);
    const association = await received.next(before + 1);
    expect(association.ending).toBe('aborted');
    expect(association.instances).toHaveLength(1);
  }, 30_000);

  it('writes no tag values to its log (no UIDs, no patient name)', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const log = logLines.join('\n');
    for (const file of [CT, MR_JPEG_LS, MR_J2K, MR]) expect(log).not.toContain(readPart10(readFileSync(file)).sopInstanceUid);
    expect(log).not.toMatch(/1\.3\.6\.1\.4\.1\.5962/); // the UID root of every fixture (study, series, instance)
    expect(log).not.toMatch(/CompressedSamples|4MR1|1CT1/);
  });
});

describe('DICOM SCP limits', () => {
  it('answers C-STOREs beyond maxInstancesPerAssociation with 0xA700 and keeps serving', async () => {
    const received = collector();
    const scp = await startDimseScp({ aeTitle: 'CLINFER', maxInstancesPerAssociation: 1, onAssociation: received.onAssociation });
    try {
      const halted = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [CT, MR] });
      expect(halted.code, 'storescu exits non-zero after a refused C-STORE').not.toBe(0);
      const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', noHalt: true, verbose: true, files: [CT, MR] });
      expect(result.stderr).toMatch(/Received Store Response \(Success\)/);
      expect(result.stderr).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
      for (const association of [await received.next(1), await received.next(2)]) {
        expect(association.instances).toHaveLength(1);
        expect(association.refused).toBe(1);
      }

      expect((await echoscu({ port: scp.port, calledAeTitle: 'CLINFER' })).code).toBe(0);
      const again = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [MR] });
      expect(again.code, again.stderr).toBe(0);
      expect((await received.next(3)).instances).toHaveLength(1);
    } finally {
      await scp.close();
    }
  }, 40_000);

  it('refuses an instance that would pass maxBytesPerAssociation, without keeping its bytes', async () => {
    const received = collector();
    const mrBytes = readFileSync(MR).length;
    const scp = await startDimseScp({ aeTitle: 'CLINFER', maxBytesPerAssociation: mrBytes + 1000, onAssociation: received.onAssociation });
    try {
      const result = await storescu({ port: scp.port, calledAeTitle: 'CLINFER', noHalt: true, verbose: true, files: [MR, CT] });
      expect(result.stderr).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
      const association = await received.next(1);
      expect(association.instances.map((i) => readPart10(i).sopInstanceUid)).toEqual([readPart10(readFileSync(MR)).sopInstanceUid]);
      expect(association.refused).toBe(1);
    } finally {
      await scp.close();
    }
  }, 40_000);

  it('counts an association under maxAssociations until its callback is done: the next one is rejected (transient) until then', async () => {
    let release!: () => void;
    const handedOver = new Promise<void>((resolve) => (release = resolve));
    const received = collector();
    const scp = await startDimseScp({
      aeTitle: 'CLINFER',
      maxAssociations: 1,
      onAssociation: async (a) => {
        await received.onAssociation(a);
        await handedOver;
      },
    });
    try {
      expect((await storescu({ port: scp.port, calledAeTitle: 'CLINFER', files: [MR] })).code).toBe(0);
      await received.next(1);
      const busy = await echoscu({ port: scp.port, calledAeTitle: 'CLINFER' });
      expect(busy.code).not.toBe(0);
      expect(busy.stderr).toMatch(/Rejected Transient/);
      expect(busy.stderr).toMatch(/Local Limit Exceeded/i);
      release();
      // The slot frees once the callback has settled: echo until accepted (bounded) rather than after a fixed
      // 50 ms pause, which a loaded machine may overrun.
      let echo = await echoscu({ port: scp.port, calledAeTitle: 'CLINFER' });
      for (let i = 0; i < 50 && echo.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        echo = await echoscu({ port: scp.port, calledAeTitle: 'CLINFER' });
      }
      expect(echo.code).toBe(0);
    } finally {
      release();
      await scp.close();
    }
  }, 30_000);

  it('fails to start, without a listener left behind, when the port is taken', async () => {
    const first = await startDimseScp({ aeTitle: 'CLINFER', onAssociation: () => undefined });
    try {
      await expect(startDimseScp({ aeTitle: 'CLINFER', port: first.port, onAssociation: () => undefined })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('rejects a calling AE title that is not on the allow-list', async () => {
    const scp = await startDimseScp({ aeTitle: 'CLINFER', allowedCallingAeTitles: ['CT01'], onAssociation: () => undefined });
    try {
      const refused = await echoscu({ port: scp.port, calledAeTitle: 'CLINFER', callingAeTitle: 'INTRUDER' });
      expect(refused.stderr).toMatch(/Calling AE Title Not Recognized/);
      expect((await echoscu({ port: scp.port, calledAeTitle: 'CLINFER', callingAeTitle: 'CT01' })).code).toBe(0);
    } finally {
      await scp.close();
    }
  }, 20_000);

  it('stops listening on close()', async () => {
    const scp = await startDimseScp({ aeTitle: 'CLINFER', onAssociation: () => undefined });
    await scp.close();
    const result = await echoscu({ port: scp.port, calledAeTitle: 'CLINFER', timeoutMs: 6000 });
    expect(result.code).not.toBe(0);
  }, 20_000);
});
