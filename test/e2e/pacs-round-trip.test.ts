import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studyHash } from '../../runtime/dicom-node/failure.js';
import { privateNetworkAvailable, runInPrivateNetwork, type PrivateNetworkRun } from '../helpers/private-network.js';
import { FIXTURES } from '../helpers/server.js';
import { CYRILLIC_NAME, JAPANESE_NAME, variant, type RoundTripResult } from './pacs-round-trip.scenario.js';

/**
 * End to end against a real PACS: Orthanc + DICOMweb and clinfer in one private network namespace
 * (Orthanc binds 0.0.0.0). Orthanc sends a three-series study series by series (several associations)
 * while the model is unloaded and loaded again: one SR, once the model is back, with the patient's Cyrillic
 * name intact. STOW-RS brings other studies (a Japanese ISO 2022 name; an MR the chest model refuses:
 * dead-letter, OUT_OF_SCOPE, no SR); Orthanc goes down and clinfer restarts in between, and no result is lost.
 */
const DIR = join(FIXTURES, 'dicom/pydicom/dicomdir_cr_ct_mr');
// A paediatric frontal chest CR (synthetic), as the demo model was made for; the rest are copies with other UIDs.
const CHEST = join(FIXTURES, 'dicom-scope/chest-cr-paediatric.dcm');
const ROOT_UID = '1.2.826.0.1.3680043.10.543.900';

describe('PACS round trip with Orthanc', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'clinfer-e2e-'));
  let run: PrivateNetworkRun<RoundTripResult>;
  let result: RoundTripResult;

  beforeAll(async () => {
    if (!privateNetworkAvailable()) throw new Error('this test needs `unshare --net` (root or user namespaces) and `ip` (iproute2)');
    // A study in three series; two more studies; an MR (pydicom's 98892003), which the chest model is not made for.
    const study = `${ROOT_UID}.1`;
    const files = {
      study: [1, 2, 3].map((n) => variant(CHEST, join(workDir, `series${n}.dcm`), { study, series: `${study}.${n}`, sop: `${study}.${n}.1` }, CYRILLIC_NAME)),
      stow: variant(CHEST, join(workDir, 'stow.dcm'), { study: `${ROOT_UID}.10`, series: `${ROOT_UID}.10.1`, sop: `${ROOT_UID}.10.1.1` }, JAPANESE_NAME),
      whileDown: variant(CHEST, join(workDir, 'down.dcm'), { study: `${ROOT_UID}.20`, series: `${ROOT_UID}.20.1`, sop: `${ROOT_UID}.20.1.1` }),
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
    // The patient's Cyrillic name (ISO_IR 144 in the source) intact in the SR (written as ISO_IR 192).
    expect(reports[0]).toMatchObject({ seriesNumber: '9001', instanceNumber: '1', patientName: CYRILLIC_NAME.text });
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
    // ISO 2022 IR 87 in the source: the three component groups, Kanji and Hiragana, intact.
    expect(result.reports.find((r) => r.studyInstanceUID === result.predictions.stow!.studyInstanceUID)!.patientName).toBe(JAPANESE_NAME.text);
  });

  it('kept the result on disk while Orthanc was down and delivered it after a restart of clinfer', () => {
    expect(result.stowWhileDownStatus).toBe(200);
    expect(result.pendingWhileDown).toBe(1);
  });

  it('sends no SR for an MR routed to the chest model, and names OUT_OF_SCOPE in its dead-letter entry', () => {
    expect(result.reports.filter((r) => r.studyInstanceUID === result.outOfScopeStudy)).toHaveLength(0);
    const entry = result.deadLetter.find((e) => e.study === studyHash(result.outOfScopeStudy));
    expect(entry).toMatchObject({ code: 'OUT_OF_SCOPE', models: ['chest-xray-pneumonia'] });
  });
});
