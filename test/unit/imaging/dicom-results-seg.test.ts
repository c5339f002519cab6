import { describe, expect, it } from 'vitest';
import type { DicomInstanceInfo } from '../../../adapters/imaging/dicom-info.js';
import {
  buildSegmentation, deviceUidFromDigest, DicomResultError, type SegmentationInput, type SegmentationMask, type SegmentDefinition,
} from '../../../adapters/imaging/dicom-results/index.js';
import { dciodvfy, dumpValue, runTool, sequenceLines, unexpectedWarnings } from '../../fixtures/dicom-results/dicom-tools.js';
import { nestedText, readWithDcmjs } from '../../fixtures/dicom-results/dcmjs-reader.js';
import { crChest, ctSlices, LUNG_SEG_MODEL, usClip } from '../../fixtures/dicom-results/sources.js';

const NOW = new Date('2024-03-12T14:30:00Z');
const ROWS = 11;
const COLUMNS = 13; // 143 pixels a frame: frames do not start on byte boundaries

const SEGMENTS: SegmentDefinition[] = [
  { value: 1, label: { id: 'nodule', text: 'Nodule pulmonaire' } },
  { value: 2, label: { id: 'effusion', text: 'Épanchement pleural' }, category: { value: '49755003', scheme: 'SCT', meaning: 'Morphologically Abnormal Structure' }, type: { value: '60046008', scheme: 'SCT', meaning: 'Pleural effusion' } },
  { value: 3, label: { id: 'unused', text: 'Never predicted' } },
];

/** Label masks for 4 CT slices: slice 0 empty, nodule (1) on slices 1-2, effusion (2) on slices 2-3. */
function ctMasks(): SegmentationMask[] {
  const masks = Array.from({ length: 4 }, (_, slice) => {
    const mask = new Uint8Array(ROWS * COLUMNS);
    if (slice === 1 || slice === 2) for (let r = 3; r < 6; r++) for (let c = 4; c < 8; c++) mask[r * COLUMNS + c] = 1;
    if (slice === 2 || slice === 3) for (let c = 0; c < COLUMNS; c++) mask[(ROWS - 1) * COLUMNS + c] = 2;
    if (slice === 3) mask[0] = 2;
    return { sourceIndex: slice, mask };
  });
  return [masks[2]!, masks[0]!, masks[3]!, masks[1]!]; // not in slice order
}

const first = <T>(value: T | T[]): T => (Array.isArray(value) ? value[0]! : value);

/**
 * Decodes a BINARY SEG read by dcmjs back into one label mask per referenced source frame, from the pixel
 * bits and the per-frame segment and source references alone.
 */
function decodeMasks(ds: Record<string, any>, sources: readonly DicomInstanceInfo[], valueOfLabel: Map<string, number>): Map<string, Uint8Array> {
  const pixels = new Uint8Array(first(ds.PixelData) as ArrayBuffer);
  const perFrame = ds.PerFrameFunctionalGroupsSequence as any[];
  const segments = ds.SegmentSequence as any[];
  const size = ds.Rows * ds.Columns;
  const masks = new Map<string, Uint8Array>();
  perFrame.forEach((frame, f) => {
    const segmentNumber = first(frame.SegmentIdentificationSequence).ReferencedSegmentNumber;
    const segment = segments.find((s) => s.SegmentNumber === segmentNumber);
    const value = valueOfLabel.get(nestedText(segment.SegmentLabel))!;
    expect(value, `segment ${segmentNumber} label`).toBeDefined();
    const ref = first(first(frame.DerivationImageSequence).SourceImageSequence);
    const sourceIndex = sources.findIndex((s) => s.sopInstanceUID === ref.ReferencedSOPInstanceUID);
    const key = `${sourceIndex}/${ref.ReferencedFrameNumber ?? 1}`;
    const mask = masks.get(key) ?? new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const bit = f * size + i;
      if (pixels[bit >> 3]! & (1 << (bit & 7))) {
        expect(mask[i], `pixel ${i} of ${key} is in two segments`).toBe(0);
        mask[i] = value;
      }
    }
    masks.set(key, mask);
  });
  return masks;
}

describe('buildSegmentation from a 2-label mask on CT slices', () => {
  const sources = ctSlices(4, ROWS, COLUMNS);
  const masks = ctMasks();
  const input: SegmentationInput = { sources, masks, segments: SEGMENTS, model: LUNG_SEG_MODEL, now: NOW };
  const seg = buildSegmentation(input);
  const expectedFrames = [1, 2].reduce((n, value) => n + masks.filter((m) => m.mask.includes(value)).length, 0);

  it('passes dciodvfy without errors', () => {
    const { errors, warnings } = dciodvfy(seg);
    expect(errors).toEqual([]);
    expect(unexpectedWarnings(warnings)).toEqual([]);
  });

  it('has one frame per segment and slice with pixels, and one segment per label present', () => {
    const { output } = runTool('dcmdump', seg, ['+L']);
    expect(expectedFrames).toBe(4);
    expect(dumpValue(output, '0028,0008')).toBe(String(expectedFrames));
    expect(dumpValue(output, '0008,0060')).toBe('SEG');
    expect(dumpValue(output, '0062,0001')).toBe('BINARY');
    expect(dumpValue(output, '0020,000d')).toBe(sources[0]!.studyInstanceUID);
    expect(dumpValue(output, '0020,0052')).toBe(sources[0]!.image!.frameOfReferenceUID);
    const segments = sequenceLines(output, '0062,0002').join('\n');
    expect(segments.match(/\(0062,0004\) US/g)).toHaveLength(2);
    expect(segments).toContain('[Nodule pulmonaire]');
    expect(segments).toContain('[Épanchement pleural]');
    expect(segments).not.toContain('Never predicted');
    expect(segments).toContain('[AUTOMATIC]');
    expect(segments).toContain('[lung-lesion-seg]');
    expect(segments).toContain('[52988006]'); // default type: Lesion
    expect(segments).toContain('[60046008]'); // the bundle's type
    const equipment = sequenceLines(output, '0018,a001');
    expect(dumpValue(equipment, '0008,1090')).toBe('lung-lesion-seg');
    expect(dumpValue(equipment, '0018,1020')).toBe('2');
    expect(dumpValue(equipment, '0018,1002')).toBe(deviceUidFromDigest(LUNG_SEG_MODEL.digest));
    expect(dumpValue(equipment, '0018,1000')).toBe('LLS-2-0001');
  });

  it('decodes (with dcmjs) back to the same masks', () => {
    const ds = readWithDcmjs(seg);
    expect(ds.BitsAllocated).toBe(1);
    expect(ds.NumberOfFrames).toBe(expectedFrames);
    const decoded = decodeMasks(ds, sources, new Map(SEGMENTS.map((s) => [s.label.text, s.value])));
    for (const m of masks) {
      const expected = Array.from(m.mask);
      const got = decoded.get(`${m.sourceIndex}/1`);
      if (!expected.some((v) => v !== 0)) expect(got).toBeUndefined();
      else expect(Array.from(got!)).toEqual(expected);
    }
  });

  it('places every frame at its source slice, ordered by segment then slice', () => {
    const ds = readWithDcmjs(seg);
    const shared = first(ds.SharedFunctionalGroupsSequence);
    expect(first(shared.PlaneOrientationSequence).ImageOrientationPatient).toEqual([1, 0, 0, 0, 1, 0]);
    expect(first(shared.PixelMeasuresSequence).PixelSpacing).toEqual([0.703125, 0.703125]);
    const frames = (ds.PerFrameFunctionalGroupsSequence as any[]).map((frame) => {
      const uid = first(first(frame.DerivationImageSequence).SourceImageSequence).ReferencedSOPInstanceUID;
      const source = sources.find((s) => s.sopInstanceUID === uid)!;
      expect(first(frame.PlanePositionSequence).ImagePositionPatient).toEqual([...source.image!.imagePositionPatient!]);
      return first(frame.FrameContentSequence).DimensionIndexValues as number[];
    });
    expect(frames).toEqual([[1, 2], [1, 3], [2, 3], [2, 4]]);
  });
});

describe('buildSegmentation without patient geometry', () => {
  it('segments a CR image (no frame of reference) validly', () => {
    const source = { ...crChest(), image: { ...crChest().image!, rows: 8, columns: 9 } };
    const mask = new Uint8Array(72).fill(1, 10, 30);
    const seg = buildSegmentation({ sources: [source], masks: [{ sourceIndex: 0, mask }], segments: SEGMENTS, model: LUNG_SEG_MODEL, now: NOW });
    const { errors } = dciodvfy(seg);
    expect(errors).toEqual([]);
    const ds = readWithDcmjs(seg);
    expect(ds.FrameOfReferenceUID).toBeUndefined();
    expect(Array.from(decodeMasks(ds, [source], new Map([['Nodule pulmonaire', 1]])).get('0/1')!)).toEqual(Array.from(mask));
  });

  it('references the frames of a multi-frame clip', () => {
    const clip = usClip(5);
    const masks = [4, 2].map((frame) => ({ sourceIndex: 0, frame, mask: new Uint8Array(36).fill(1, frame, frame + 6) }));
    const seg = buildSegmentation({ sources: [clip], masks, segments: SEGMENTS, model: LUNG_SEG_MODEL, now: NOW });
    expect(dciodvfy(seg).errors).toEqual([]);
    const decoded = decodeMasks(readWithDcmjs(seg), [clip], new Map([['Nodule pulmonaire', 1]]));
    for (const m of masks) expect(Array.from(decoded.get(`0/${m.frame}`)!)).toEqual(Array.from(m.mask));
  });
});

describe('buildSegmentation refuses masks it cannot encode faithfully', () => {
  const sources = ctSlices(2, ROWS, COLUMNS);
  const ok = (): SegmentationInput => ({ sources, masks: [{ sourceIndex: 0, mask: new Uint8Array(ROWS * COLUMNS).fill(1, 0, 5) }], segments: SEGMENTS, model: LUNG_SEG_MODEL, now: NOW });
  const failure = (input: SegmentationInput) => {
    try { buildSegmentation(input); } catch (e) { if (e instanceof DicomResultError) return `${e.code}: ${e.message}`; throw e; }
    return 'no error';
  };

  it('names the mask and what was expected', () => {
    expect(failure({ ...ok(), masks: [{ sourceIndex: 0, mask: new Uint8Array(64 * 64) }] }))
      .toMatch(/^RESULT_INVALID_MASK: masks\[0\]\.mask: expected 143 values .*resample the model's mask to the source first.*got 4096/);
    expect(failure({ ...ok(), masks: [{ sourceIndex: 0, mask: new Uint8Array(ROWS * COLUMNS).fill(9, 0, 1) }] }))
      .toBe('RESULT_INVALID_MASK: masks[0].mask: value 9 is not a declared segment value');
    expect(failure({ ...ok(), masks: [{ sourceIndex: 0, mask: new Uint8Array(ROWS * COLUMNS) }] })).toMatch(/^RESULT_EMPTY_SEGMENTATION/);
    expect(failure({ ...ok(), masks: [] })).toMatch(/^RESULT_INVALID_MASK: masks:/);
    expect(failure({ ...ok(), masks: [...ok().masks, ...ok().masks] })).toMatch(/^RESULT_INVALID_MASK: masks\[1\]: a second mask for sources\[0\] frame 1/);
    expect(failure({ ...ok(), segments: [...SEGMENTS, { value: 1, label: { id: 'again', text: 'Again' } }] })).toMatch(/^RESULT_INVALID_MASK: segments\[3\]\.value: 1 is declared twice/);
    expect(failure({ ...ok(), sources: [usClip(3)], masks: [{ sourceIndex: 0, mask: new Uint8Array(36).fill(1) }] })).toMatch(/^RESULT_INVALID_MASK: masks\[0\]\.frame: sources\[0\] has 3 frames/);
    expect(failure({ ...ok(), sources: [{ ...sources[0]!, image: undefined }] })).toMatch(/^RESULT_INVALID_SOURCES: sources\[0\]\.image/);
  });
});
