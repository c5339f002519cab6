import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferSyntaxUid } from '../../runtime/pacs/uids.js';
import { orthancAvailable, type OrthancRoundTripResult } from '../helpers/orthanc.js';
import { privateNetworkAvailable, runInPrivateNetwork, type PrivateNetworkRun } from '../helpers/private-network.js';
import { requirePeer } from '../helpers/peers.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pacs/', import.meta.url));
const CT_UID = '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322';
const MR_UID = '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457';

/**
 * Orthanc 1.10 binds 0.0.0.0, so it runs with the code under test in one child process inside a private
 * network namespace with only loopback (test/helpers/private-network.ts); the scenario is
 * orthancRoundTripScenario in test/helpers/orthanc.ts and comes back as JSON, asserted here.
 */
requirePeer('Orthanc with its DICOMweb plugin, and unshare (a private network namespace)', orthancAvailable() && privateNetworkAvailable());

describe('PACS round trip with Orthanc + DICOMweb (private network namespace)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'clinfer-orthanc-'));
  let run: PrivateNetworkRun<OrthancRoundTripResult>;
  let result: OrthancRoundTripResult;

  beforeAll(async () => {
    run = await runInPrivateNetwork<OrthancRoundTripResult>({
      module: 'test/helpers/orthanc.ts',
      export: 'orthancRoundTripScenario',
      args: { workDir, fixtures: FIXTURES },
      timeoutMs: 90_000,
    });
    result = run.result!;
  }, 100_000);
  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('ran to the end inside the namespace', () => {
    expect(run.timedOut).toBe(false);
    expect(run.error, run.stderr.slice(-2000)).toBeUndefined();
    expect(run.code).toBe(0);
  }, 5000);

  it('STOW-RS stores an instance that Orthanc lists under /instances, with the same SOP Instance UID', () => {
    expect(result.stow.outcomes).toEqual([{ ok: true, sopInstanceUid: CT_UID }]);
    expect(result.stow.listed).toBe(true);
    expect(result.stow.sopInstanceUid).toBe(CT_UID);
    expect(result.stow.dicomJsonSopInstanceUid).toBe(CT_UID);
  }, 5000);

  it('the C-STORE SCU stores into Orthanc DICOM port, JPEG-LS kept', () => {
    expect(result.cstore.outcomes).toEqual([{ ok: true, status: 0 }]);
    expect(result.cstore.listed).toBe(true);
    expect(result.cstore.transferSyntax).toBe(TransferSyntaxUid.JpegLsLossless);
  }, 5000);

  it("our SCP receives Orthanc's own C-STOREs, each in the syntax Orthanc holds it in", () => {
    expect(result.toScp.associations).toBeGreaterThanOrEqual(1);
    expect(result.toScp.instances).toBe(2);
    expect([...result.toScp.sopInstanceUids].sort()).toEqual([CT_UID, MR_UID].sort());
    expect(result.toScp.transferSyntaxes).toContain(TransferSyntaxUid.JpegLsLossless);
  }, 5000);

  it('the delivery queue keeps items while Orthanc is down and delivers them after Orthanc and the queue restart', () => {
    expect(result.queue.whileDown.pending).toBe(2);
    expect(result.queue.whileDown.delivered).toBe(0);
    expect(result.queue.whileDown.retries).toBeGreaterThanOrEqual(4);
    expect(result.queue.afterRestart).toEqual({ drained: true, pending: 0, delivered: 2, failed: 0 });
    expect(result.queue.srListed).toBe(true);
    expect(result.queue.scListed).toBe(true);
    expect(result.queue.outboxLeft).toEqual([]);
    // The restarted Orthanc kept its storage: the two earlier instances plus the two delivered ones.
    expect(result.instancesAtEnd).toBe(4);
  }, 5000);
});
