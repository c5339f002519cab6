import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateNetworkAvailable, runInPrivateNetwork, type PrivateNetworkRun } from '../helpers/private-network.js';
import { FIXTURES } from '../helpers/server.js';
import type { RoundTripResult } from './pacs-round-trip.scenario.js';

/**
 * End to end against a real PACS: Orthanc + DICOMweb and clinfer in one private network namespace
 * (Orthanc binds 0.0.0.0). storescu and STOW-RS bring studies; clinfer runs the imaging demo bundle and
 * sends SRs to Orthanc; Orthanc goes down and clinfer restarts in between, and no result is lost.
 */
const DIR = join(FIXTURES, 'dicom/pydicom/dicomdir_cr_ct_mr');
const files = { cstore: join(DIR, '77654033_CR1_6154'), stow: join(DIR, '77654033_CT2_17106'), whileDown: join(DIR, '98892003_MR1_15820') };

describe('PACS round trip with Orthanc', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'clinfer-e2e-'));
  let run: PrivateNetworkRun<RoundTripResult>;
  let result: RoundTripResult;

  beforeAll(async () => {
    if (!privateNetworkAvailable()) throw new Error('this test needs `unshare --net` (root or user namespaces) and `ip` (iproute2)');
    run = await runInPrivateNetwork<RoundTripResult>({ module: 'test/e2e/pacs-round-trip.scenario.ts', export: 'pacsRoundTripScenario', args: { workDir, files }, timeoutMs: 150_000 });
    result = run.result!;
  }, 160_000);
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('ran inside the namespace to the end', () => {
    expect(run.error, run.stderr.slice(-3000)).toBeUndefined();
    expect(run.timedOut).toBe(false);
  });

  it('stores one SR per study in Orthanc, filed in the source study, referencing the source and carrying the model output', () => {
    expect(result.stowStatus).toBe(200);
    expect(result.reports).toHaveLength(3);
    for (const name of ['cstore', 'stow', 'whileDown'] as const) {
      const p = result.predictions[name]!;
      const report = result.reports.find((r) => r.studyInstanceUID === p.studyInstanceUID);
      expect(report, `an SR in study ${p.studyInstanceUID}`).toBeDefined();
      expect(report!.content).toContain(p.sopInstanceUID);
      expect(report!.content).toMatch(/chest-xray-pneumonia/);
      expect(report!.content).toContain(`"${p.label}"`);
      const probabilities = [...report!.content.matchAll(/"Probability"\)="([0-9.eE+-]+)"/g)].map((m) => Number(m[1]));
      expect(probabilities.some((v) => Math.abs(v - p.score) < 1e-6)).toBe(true);
    }
  });

  it('kept the result on disk while Orthanc was down and delivered it after a restart of clinfer', () => {
    expect(result.stowWhileDownStatus).toBe(200);
    expect(result.pendingWhileDown).toBe(1);
  });
});
