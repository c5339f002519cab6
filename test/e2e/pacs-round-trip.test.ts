import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studyHash } from '../../runtime/dicom-node/failure.js';
import { privateNetworkAvailable, runInPrivateNetwork, type PrivateNetworkRun } from '../helpers/private-network.js';
import { FIXTURES } from '../helpers/server.js';
import { variant, type RoundTripResult } from './pacs-round-trip.scenario.js';

/**
 * End to end against a real PACS: Orthanc + DICOMweb and clinfer in one private network namespace
 * (Orthanc binds 0.0.0.0). Orthanc sends a three-series study series by series (several associations)
 * while the model is unloaded and loaded again; STOW-RS brings other studies; clinfer runs the imaging demo
 * bundle and sends SRs to Orthanc; Orthanc goes down and clinfer restarts in between, and no result is lost.
 */
const DIR = join(FIXTURES, 'dicom/pydicom/dicomdir_cr_ct_mr');
const CR1 = join(DIR, '77654033_CR1_6154');
const CR2 = join(DIR, '77654033_CR2_6247');
const ROOT_UID = '1.2.826.0.1.3680043.10.543.900';

describe('PACS round trip with Orthanc', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'clinfer-e2e-'));
  let run: PrivateNetworkRun<RoundTripResult>;
  let result: RoundTripResult;

  beforeAll(async () => {
    if (!privateNetworkAvailable()) throw new Error('this test needs `unshare --net` (root or user namespaces) and `ip` (iproute2)');
    // Study 77654033: CR1 and CR2 (two series) and a third series made from CR1; other studies made from them.
    const files = {
      study: [CR1, CR2, variant(CR1, join(workDir, 'cr3.dcm'), { series: `${ROOT_UID}.3`, sop: `${ROOT_UID}.3.1` })],
      stow: variant(CR2, join(workDir, 'stow.dcm'), { study: `${ROOT_UID}.10`, series: `${ROOT_UID}.10.1`, sop: `${ROOT_UID}.10.1.1` }),
      whileDown: variant(CR1, join(workDir, 'down.dcm'), { study: `${ROOT_UID}.20`, series: `${ROOT_UID}.20.1`, sop: `${ROOT_UID}.20.1.1` }),
      outOfScope: join(DIR, '98892003_MR1_15820'),
    };
    run = await runInPrivateNetwork<RoundTripResult>({ module: 'test/e2e/pacs-round-trip.scenario.ts', export: 'pacsRoundTripScenario', args: { workDir, files }, timeoutMs: 170_000 });
    result = run.result!;
  }, 180_000);
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('ran inside the namespace to the end', () => {
    expect(run.error, run.stderr.slice(-3000)).toBeUndefined();
    expect(run.timedOut).toBe(false);
  });

  it('answers one SR per model for a study Orthanc sent in several associations, referencing every instance', () => {
    const { study } = result;
    expect(study.series).toBe(3);
    expect(study.associations).toBe(3);
    const reports = result.reports.filter((r) => r.studyInstanceUID === study.studyInstanceUID);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ seriesNumber: '9001', instanceNumber: '1' });
    for (const name of ['study0', 'study1', 'study2']) {
      const p = result.predictions[name]!;
      expect(reports[0]!.content).toContain(p.sopInstanceUID);
      const probabilities = [...reports[0]!.content.matchAll(/"Probability"\)="([0-9.eE+-]+)"/g)].map((m) => Number(m[1]));
      expect(probabilities.some((v) => Math.abs(v - p.score) < 1e-6)).toBe(true);
    }
  });

  it('kept the study while the model was unloaded mid-study and sent its SR once it was back', () => {
    expect(result.study.retriesWhileUnloaded).toBeGreaterThan(0);
    expect(result.study.srsWhileUnloaded).toBe(0);
    expect(result.study.waitingWhileUnloaded).toBe(3);
  });

  it('stores the SR of each STOW-RS study in Orthanc, filed in the source study, carrying the model output', () => {
    expect(result.stowStatus).toBe(200);
    for (const name of ['stow', 'whileDown'] as const) {
      const p = result.predictions[name]!;
      const reports = result.reports.filter((r) => r.studyInstanceUID === p.studyInstanceUID);
      expect(reports, `an SR in study ${p.studyInstanceUID}`).toHaveLength(1);
      expect(reports[0]!.content).toContain(p.sopInstanceUID);
      expect(reports[0]!.content).toMatch(/chest-xray-pneumonia/);
      expect(reports[0]!.content).toContain(`"${p.label}"`);
    }
  });

  it('kept the result on disk while Orthanc was down and delivered it after a restart of clinfer', () => {
    expect(result.stowWhileDownStatus).toBe(200);
    expect(result.pendingWhileDown).toBe(1);
  });

  // TODO(issue 14, input scope): passes once the chest bundle declares its input scope and routed PACS traffic
  // checks it (another helper's part); until then the MR is scored and gets an SR.
  it.todo('sends no SR for an MR routed to the chest model, and names OUT_OF_SCOPE in its dead-letter entry');
  it.skip('(pending the input-scope check) sends no SR for an MR routed to the chest model, and names OUT_OF_SCOPE in its dead-letter entry', () => {
    expect(result.reports.filter((r) => r.studyInstanceUID === result.outOfScopeStudy)).toHaveLength(0);
    const entry = result.deadLetter.find((e) => e.study === studyHash(result.outOfScopeStudy));
    expect(entry).toMatchObject({ code: 'OUT_OF_SCOPE', models: ['chest-xray-pneumonia'] });
  });
});
