import { describe, expect, it } from 'vitest';
import { buildClassificationSr, buildSegmentation } from '../../../adapters/imaging/dicom-results/index.js';
import { fitBytes } from '../../../adapters/imaging/dicom-results/values.js';
import { dciodvfy, dumpValue, runTool } from '../../fixtures/dicom-results/dicom-tools.js';
import { crChest, ctSlices, LUNG_SEG_MODEL, PNEUMONIA_MODEL } from '../../fixtures/dicom-results/sources.js';

const NOW = new Date('2026-02-03T04:05:06Z');

describe('Procedure Reported', () => {
  it('names every procedure of the evidence: a study with a CR and a CT reports radiography and CT', () => {
    const cr = crChest();
    const ct = { ...ctSlices(1)[0]!, studyInstanceUID: cr.studyInstanceUID, patient: cr.patient };
    const normal = { id: 'normal', text: 'Normal' };
    const finding = { id: 'finding', text: 'Finding' };
    const sr = buildClassificationSr({
      sources: [cr, ct, cr],
      model: PNEUMONIA_MODEL,
      findings: [0, 1].map((sourceIndex) => ({ sourceIndex, label: finding, score: 0.6, scores: [{ ...normal, score: 0.4 }, { ...finding, score: 0.6 }] })),
      language: 'en',
      now: NOW,
    });
    const { output } = runTool('dsrdump', sr, ['+Pl']);
    const procedures = output.split('\n').filter((l) => l.includes('"Procedure reported"'));
    expect(procedures).toHaveLength(2);
    expect(procedures[0]).toContain('(363680008,SCT,"Radiographic imaging procedure")');
    expect(procedures[1]).toContain('(77477000,SCT,"Computed tomography")');
    expect(dciodvfy(sr).errors).toEqual([]);
  });
});

describe('SEG Content Description', () => {
  it('fits 64 bytes of UTF-8, cut between characters, when the regulatory status is in Greek', () => {
    const source = { ...crChest(), image: { ...crChest().image!, rows: 4, columns: 4 } };
    const model = { ...LUNG_SEG_MODEL, regulatoryStatus: 'Μόνο για έρευνα: δεν είναι ιατροτεχνολογικό προϊόν (μη πιστοποιημένο)' };
    const seg = buildSegmentation({
      sources: [source], masks: [{ sourceIndex: 0, mask: new Uint8Array(16).fill(1, 0, 5) }],
      segments: [{ value: 1, label: { id: 'lesion', text: 'Lesion' } }], model, now: NOW,
    });
    const value = dumpValue(runTool('dcmdump', seg).output, '0070,0081')!;
    expect(Buffer.byteLength(value, 'utf8')).toBeLessThanOrEqual(64);
    expect(value.startsWith('lung-lesion-seg 2: Μόνο για')).toBe(true);
    expect(value.endsWith('…')).toBe(true);
    expect(value).not.toContain('\ufffd');
  });

  it('fitBytes never splits a character and leaves short text alone', () => {
    expect(fitBytes('short', 64)).toBe('short');
    const cut = fitBytes('山田太郎'.repeat(10), 64);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(64);
    expect(cut).toBe(`${'山田太郎'.repeat(5)}…`); // 20 characters of 3 bytes and the 3-byte ellipsis: 63 bytes
    expect(fitBytes('e\u0301'.repeat(40), 10)).not.toContain('\ufffd');
  });
});
