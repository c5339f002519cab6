import { describe, expect, it } from 'vitest';
import {
  buildClassificationSr, deviceUidFromDigest, DicomResultError, type ClassificationSrInput,
} from '../../../adapters/imaging/dicom-results/index.js';
import { dciodvfy, dumpValue, runTool, sequenceLines, unexpectedWarnings } from '../../fixtures/dicom-results/dicom-tools.js';
import { readWithDcmjs } from '../../fixtures/dicom-results/dcmjs-reader.js';
import { crChest, ctSlices, PNEUMONIA_MODEL, usClip } from '../../fixtures/dicom-results/sources.js';

const NOW = new Date('2024-03-11T09:41:07.250Z');

/** The pneumonia classifier's result on a CR chest image, in French; labels as the bundle declares them. */
function crInput(): ClassificationSrInput {
  const normal = { id: 'normal', text: 'Pas de pneumonie' };
  const pneumonia = { id: 'pneumonia', text: 'Pneumonie lobaire à pneumocoque' };
  return {
    sources: [crChest()],
    model: PNEUMONIA_MODEL,
    findings: [{ sourceIndex: 0, label: pneumonia, score: 0.9132, scores: [{ ...normal, score: 0.0868 }, { ...pneumonia, score: 0.9132 }] }],
    language: 'fr',
    now: NOW,
  };
}

/** A CT classifier's result on two slices, in German; one label has a SNOMED CT code. */
function ctInput(): ClassificationSrInput {
  const sources = ctSlices(2);
  const none = { id: 'no_finding', text: 'Kein Befund' };
  const nodule = { id: 'nodule', text: 'Lungenrundherd (größer 8 mm)', code: { value: '427359005', scheme: 'SCT', meaning: 'Solitary nodule of lung' } };
  return {
    sources,
    model: { ...PNEUMONIA_MODEL, name: 'ct-nodule-screen', version: '3', manufacturer: 'Klinikum Süd KI-Labor' },
    findings: [
      { sourceIndex: 0, label: none, score: 0.71, scores: [{ ...none, score: 0.71 }, { ...nodule, score: 0.29 }] },
      { sourceIndex: 1, label: nodule, score: 0.88, scores: [{ ...none, score: 0.12 }, { ...nodule, score: 0.88 }] },
    ],
    language: 'de',
    now: NOW,
  };
}

describe('buildClassificationSr on a CR chest image (French)', () => {
  const input = crInput();
  const source = input.sources[0]!;
  const sr = buildClassificationSr(input);

  it('passes dciodvfy without errors, drawing only the known warnings', () => {
    const { errors, warnings } = dciodvfy(sr);
    expect(errors).toEqual([]);
    expect(unexpectedWarnings(warnings)).toEqual([]);
  });

  it('reads in dsrdump as a TID 1500 report with the finding, its probability, the model and the source image', () => {
    const { output, status } = runTool('dsrdump', sr, ['+Pl', '+Pu']);
    expect(status).toBe(0);
    expect(output).toContain('Comprehensive SR Document');
    expect(output).toContain('"Imaging Measurement Report")');
    expect(output).toContain('(fr,RFC5646,"French")');
    expect(output).toContain('CODE:(,,"Finding")=(pneumonia,99CLINFER,"Pneumonie lobaire à pneumocoque")');
    expect(output).toContain('NUM:(,,"Probability")="0.9132" (1,UCUM,"no units")');
    expect(output).toContain('NUM:(,,"Probability")="0.0868" (1,UCUM,"no units")');
    expect(output).toContain('TEXT:(,,"Algorithm Name")="chest-xray-pneumonia"');
    expect(output).toContain('TEXT:(,,"Algorithm Version")="1"');
    expect(output).toContain(`UIDREF:(,,"Device Observer UID")="${deviceUidFromDigest(PNEUMONIA_MODEL.digest)}"`);
    expect(output).toContain(`IMAGE:(,,"Source")=(CR image,"${source.sopInstanceUID}")`);
    expect(output).toContain('TEXT:(,,"Regulatory status")="Not for diagnostic use: demonstration model"');
    expect(output).toContain('(363680008,SCT,"Radiographic imaging procedure")');
    expect(output).toContain('Verification Flag   : UNVERIFIED');
    expect(output).not.toMatch(/^E: /m);
  });

  it('files into the source study as a new SR series, naming the algorithm as contributing equipment', () => {
    const { output } = runTool('dcmdump', sr, ['+L']);
    expect(dumpValue(output, '0020,000d')).toBe(source.studyInstanceUID);
    const series = dumpValue(output, '0020,000e');
    expect(series).toMatch(/^2\.25\.\d+$/);
    expect(series).not.toBe(source.seriesInstanceUID);
    expect(dumpValue(output, '0008,0018')).not.toBe(source.sopInstanceUID);
    expect(dumpValue(output, '0008,0060')).toBe('SR');
    expect(dumpValue(output, '0008,103e')).toBe('AI result: chest-xray-pneumonia 1');
    expect(dumpValue(output, '0008,0005')).toBe('ISO_IR 192');
    expect(dumpValue(output, '0010,0010')).toBe('Lefèvre^Zoé');
    expect(dumpValue(output, '0010,0020')).toBe('IPP-004217');
    expect(dumpValue(output, '0008,0050')).toBe('A24-118832');
    expect(dumpValue(output, '0040,a491')).toBe('COMPLETE');
    expect(dumpValue(output, '0040,a493')).toBe('UNVERIFIED');

    const equipment = sequenceLines(output, '0018,a001');
    expect(dumpValue(equipment, '0008,0070')).toBe('clinfer');
    expect(dumpValue(equipment, '0008,1090')).toBe('chest-xray-pneumonia');
    expect(dumpValue(equipment, '0018,1020')).toBe('1');
    expect(dumpValue(equipment, '0018,1002')).toBe(deviceUidFromDigest(PNEUMONIA_MODEL.digest));
    expect(dumpValue(equipment, '0008,0100')).toBe('109102');
    expect(dumpValue(equipment, '0008,0104')).toBe('Processing Equipment');
    expect(equipment.join('\n')).toContain('Not for diagnostic use: demonstration model');
    // General Equipment names the algorithm too.
    expect(dumpValue(output, '0008,1090')).toBe('chest-xray-pneumonia');

    const evidence = sequenceLines(output, '0040,a375');
    expect(dumpValue(evidence, '0020,000d')).toBe(source.studyInstanceUID);
    expect(dumpValue(evidence, '0020,000e')).toBe(source.seriesInstanceUID);
    expect(dumpValue(evidence, '0008,1155')).toBe(source.sopInstanceUID);
  });

  it('writes its text as UTF-8 that an independent reader (dcmjs) decodes', () => {
    const ds = readWithDcmjs(sr);
    expect(ds.SpecificCharacterSet).toBe('ISO_IR 192');
    expect(ds.ReferringPhysicianName?.[0]?.Alphabetic ?? ds.ReferringPhysicianName).toBe('Größer^Jürgen');
    expect(Buffer.from(sr).includes(Buffer.from('Pneumonie lobaire à pneumocoque', 'utf8'))).toBe(true);
    expect(ds.ContentDate).toBe('20240311');
    expect(ds.ContentTime).toBe('094107.250');
  });

  it('gives every build new series and instance UIDs, and the same Device UID for the same bundle', () => {
    const again = readWithDcmjs(buildClassificationSr(input));
    const first = readWithDcmjs(sr);
    expect(again.SeriesInstanceUID).not.toBe(first.SeriesInstanceUID);
    expect(again.SOPInstanceUID).not.toBe(first.SOPInstanceUID);
    expect(again.ContributingEquipmentSequence[0].DeviceUID).toBe(first.ContributingEquipmentSequence[0].DeviceUID);
  });
});

describe('buildClassificationSr on CT slices (German, a SNOMED-coded label)', () => {
  const input = ctInput();
  const sr = buildClassificationSr(input);

  it('passes dciodvfy without errors', () => {
    const { errors, warnings } = dciodvfy(sr);
    expect(errors).toEqual([]);
    expect(unexpectedWarnings(warnings)).toEqual([]);
  });

  it('reports one measurement group per slice, the coded label with its code and the German text uncoded', () => {
    const { output } = runTool('dsrdump', sr, ['+Pl', '+Pu']);
    expect(output.match(/CONTAINER:\(,,"Measurement Group"\)/g)).toHaveLength(2);
    expect(output).toContain('CODE:(,,"Finding")=(no_finding,99CLINFER,"Kein Befund")');
    expect(output).toContain('CODE:(,,"Finding")=(427359005,SCT,"Solitary nodule of lung")');
    expect(output).toContain('(de,RFC5646,"German")');
    expect(output).toContain('(77477000,SCT,"Computed tomography")');
    expect(output).toContain('TEXT:(,,"Device Observer Manufacturer")="Klinikum Süd KI-Labor"');
    for (const s of input.sources) expect(output).toContain(`(CT image,"${s.sopInstanceUID}")`);
    expect(output).toContain('="0.88" (1,UCUM,"no units")');
  });

  it('lists both slices in the evidence and keeps the uncoded accented label readable', () => {
    const { output } = runTool('dcmdump', sr, ['+L']);
    const evidence = sequenceLines(output, '0040,a375').join('\n');
    for (const s of input.sources) expect(evidence).toContain(s.sopInstanceUID);
    const withUmlaut = buildClassificationSr({ ...input, findings: [{ ...input.findings[0]!, label: { id: 'pleura', text: 'Pleuraerguss, größenprogredient' } }] });
    expect(runTool('dsrdump', withUmlaut, ['+Pl']).output).toContain('(pleura,99CLINFER,"Pleuraerguss, größenprogredient")');
  });
});

describe('buildClassificationSr on a frame of a multi-frame clip', () => {
  it('references the frame and stays valid', () => {
    const clip = usClip(12);
    const label = { id: 'gallstone', text: 'Gallstone' };
    const sr = buildClassificationSr({
      sources: [clip], model: PNEUMONIA_MODEL, language: 'en', now: NOW,
      findings: [{ sourceIndex: 0, frame: 7, label, score: 0.6, scores: [{ ...label, score: 0.6 }] }],
    });
    expect(dciodvfy(sr).errors).toEqual([]);
    const { output } = runTool('dcmdump', sr, ['+L']);
    expect(output).toMatch(/\(0008,1160\) IS \[7\]/);
    const report = runTool('dsrdump', sr, ['+Pu']).output;
    expect(report).toContain(`IMAGE:(,,"Source")=(USm image,"${clip.sopInstanceUID}",7)`);
    expect(report).toContain('(en,RFC5646,"English")');
  });
});

describe('buildClassificationSr refuses input it cannot report faithfully', () => {
  const base = crInput();
  const code = (fn: () => unknown) => {
    try { fn(); } catch (e) { return e instanceof DicomResultError ? `${e.code}: ${e.message}` : String(e); }
    return 'no error';
  };

  it('names the field and what was expected', () => {
    expect(code(() => buildClassificationSr({ ...base, sources: [] }))).toMatch(/^RESULT_INVALID_SOURCES: sources:/);
    expect(code(() => buildClassificationSr({ ...base, sources: [crChest(), { ...ctSlices(1)[0]! }] }))).toMatch(/^RESULT_INVALID_SOURCES: sources\[1\]\.studyInstanceUID/);
    expect(code(() => buildClassificationSr({ ...base, findings: [{ ...base.findings[0]!, sourceIndex: 3 }] }))).toMatch(/^RESULT_INVALID_FINDING: findings\[0\]\.sourceIndex: expected 0\.\.0, got 3/);
    expect(code(() => buildClassificationSr({ ...base, findings: [{ ...base.findings[0]!, score: 1.5 }] }))).toMatch(/^RESULT_INVALID_FINDING: findings\[0\]\.score/);
    expect(code(() => buildClassificationSr({ ...base, findings: [{ ...base.findings[0]!, frame: 2 }] }))).toMatch(/^RESULT_INVALID_FINDING: findings\[0\]\.frame: expected 1\.\.1/);
    expect(code(() => buildClassificationSr({ ...base, findings: [] }))).toMatch(/^RESULT_INVALID_FINDING: findings:/);
    expect(code(() => buildClassificationSr({ ...base, model: { ...base.model, digest: 'abc' } }))).toMatch(/^RESULT_INVALID_MODEL: model\.digest/);
    expect(code(() => buildClassificationSr({ ...base, uidRoot: '1.02.3' }))).toMatch(/^RESULT_INVALID_VALUE: uidRoot/);
    expect(code(() => buildClassificationSr({ ...base, language: 'es' as 'en' }))).toMatch(/^RESULT_INVALID_FINDING: language/);
  });

  it("reports a source whose Modality is not a known one, even 'toString', as the generic Imaging procedure", () => {
    // Before: PROCEDURE_BY_MODALITY['toString'] found Object.prototype.toString and the build threw a TypeError,
    // so the study was retried and dead-lettered without a report.
    for (const modality of ['toString', '__proto__', 'OT']) {
      const sr = buildClassificationSr({ ...base, sources: [{ ...crChest(), modality }] });
      const { output, status } = runTool('dsrdump', sr, ['+Pl', '+Pu']);
      expect(status, modality).toBe(0);
      expect(output, modality).toContain('(363679005,SCT,"Imaging")');
    }
  });

  it('does not put patient data in error messages', () => {
    const message = code(() => buildClassificationSr({ ...base, sources: [crChest(), { ...crChest(), patient: { ...crChest().patient, id: 'OTHER-PATIENT' } }] }));
    expect(message).toMatch(/^RESULT_INVALID_SOURCES: sources\[1\]\.patient\.id/);
    expect(message).not.toContain('OTHER-PATIENT');
    expect(message).not.toContain('IPP-004217');
  });

  it('uses the site UID root for the new UIDs when given one', () => {
    const ds = readWithDcmjs(buildClassificationSr({ ...base, uidRoot: '1.2.826.0.1.3680043.10.543' }));
    expect(ds.SeriesInstanceUID).toMatch(/^1\.2\.826\.0\.1\.3680043\.10\.543\.[1-9]\d{19,}$/);
    expect(ds.SOPInstanceUID.length).toBeLessThanOrEqual(64);
  });
});

describe('buildClassificationSr superseding an earlier SR of the same study', () => {
  const base = crInput();
  const earlier = readWithDcmjs(buildClassificationSr(base));
  const later = buildClassificationSr({
    ...base,
    seriesInstanceUid: earlier.SeriesInstanceUID, seriesNumber: 9001, instanceNumber: 2,
    predecessors: [{ seriesInstanceUID: earlier.SeriesInstanceUID, sopClassUID: earlier.SOPClassUID, sopInstanceUID: earlier.SOPInstanceUID }],
  });

  it('goes into the same series with the next instance number and names the earlier SR in Predecessor Documents Sequence', () => {
    const ds = readWithDcmjs(later);
    expect(ds.SeriesInstanceUID).toBe(earlier.SeriesInstanceUID);
    expect(ds.SOPInstanceUID).not.toBe(earlier.SOPInstanceUID);
    expect(String(ds.InstanceNumber)).toBe('2');
    const predecessor = ds.PredecessorDocumentsSequence[0];
    expect(predecessor.StudyInstanceUID).toBe(base.sources[0]!.studyInstanceUID);
    expect(predecessor.ReferencedSeriesSequence[0].SeriesInstanceUID).toBe(earlier.SeriesInstanceUID);
    expect(predecessor.ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID).toBe(earlier.SOPInstanceUID);
  });

  it('passes dciodvfy without errors', () => {
    const { errors, warnings } = dciodvfy(later);
    expect(errors).toEqual([]);
    expect(unexpectedWarnings(warnings)).toEqual([]);
  });

  it('refuses a predecessor that is not a UID', () => {
    expect(() => buildClassificationSr({ ...base, predecessors: [{ seriesInstanceUID: '1.2.3', sopClassUID: '1.2.840.10008.5.1.4.1.1.88.33', sopInstanceUID: 'not-a-uid' }] }))
      .toThrow(/predecessors\[0\]\.sopInstanceUID: not a valid UID/);
  });
});
