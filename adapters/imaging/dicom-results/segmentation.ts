import type { DicomInstanceInfo } from '../dicom-info.js';
import { CODES, codeItem } from './codes.js';
import {
  checkSources, equipment, fillModel, patientAndStudy, referencedSeries, resultUids, seriesAndInstance, type FilledModel,
} from './common-modules.js';
import { DICTIONARY, type Dataset } from './dictionary.js';
import { DicomResultError } from './errors.js';
import { writePart10 } from './part10.js';
import { packBinaryFrames, valuesPresent } from './seg-pixels.js';
import { planeGeometry, type PlaneGeometry } from './seg-geometry.js';
import type { SegmentationInput, SegmentationMask, SegmentDefinition } from './types.js';
import { newUid } from './uid.js';
import { fitBytes, fitText } from './values.js';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';

interface SegFrame {
  readonly segmentNumber: number;
  readonly maskIndex: number;
  readonly value: number;
}

function checkSegments(segments: readonly SegmentDefinition[]): void {
  const values = new Set<number>();
  segments.forEach((segment, i) => {
    if (!Number.isInteger(segment.value) || segment.value < 1 || segment.value > 255) {
      throw new DicomResultError('RESULT_INVALID_MASK', `segments[${i}].value: expected a mask value 1..255, got ${segment.value}`);
    }
    if (values.has(segment.value)) throw new DicomResultError('RESULT_INVALID_MASK', `segments[${i}].value: ${segment.value} is declared twice`);
    values.add(segment.value);
    if (!segment.label?.id || !segment.label.text) throw new DicomResultError('RESULT_INVALID_MASK', `segments[${i}].label: expected a non-empty id and text`);
  });
}

/** Every mask: a known source, a frame that exists, the source's rows x columns, only declared values. */
function checkMasks(masks: readonly SegmentationMask[], sources: readonly DicomInstanceInfo[], declared: ReadonlySet<number>): { rows: number; columns: number } {
  if (masks.length === 0) throw new DicomResultError('RESULT_INVALID_MASK', 'masks: expected at least one mask, got none');
  let size: { rows: number; columns: number } | undefined;
  const seen = new Set<string>();
  masks.forEach((m, i) => {
    const field = `masks[${i}]`;
    const source = sources[m.sourceIndex];
    if (!Number.isInteger(m.sourceIndex) || !source) throw new DicomResultError('RESULT_INVALID_MASK', `${field}.sourceIndex: expected 0..${sources.length - 1}, got ${m.sourceIndex}`);
    const image = source.image;
    if (!image) throw new DicomResultError('RESULT_INVALID_SOURCES', `sources[${m.sourceIndex}].image: a segmentation needs the source's image geometry (rows, columns)`);
    if (image.numberOfFrames > 1 && m.frame === undefined) {
      throw new DicomResultError('RESULT_INVALID_MASK', `${field}.frame: sources[${m.sourceIndex}] has ${image.numberOfFrames} frames; say which one (1..${image.numberOfFrames})`);
    }
    if (m.frame !== undefined && (!Number.isInteger(m.frame) || m.frame < 1 || m.frame > image.numberOfFrames)) {
      throw new DicomResultError('RESULT_INVALID_MASK', `${field}.frame: expected 1..${image.numberOfFrames}, got ${m.frame}`);
    }
    const key = `${m.sourceIndex}/${m.frame ?? 1}`;
    if (seen.has(key)) throw new DicomResultError('RESULT_INVALID_MASK', `${field}: a second mask for sources[${m.sourceIndex}] frame ${m.frame ?? 1}`);
    seen.add(key);
    size ??= { rows: image.rows, columns: image.columns };
    if (image.rows !== size.rows || image.columns !== size.columns) {
      throw new DicomResultError('RESULT_INVALID_SOURCES', `sources[${m.sourceIndex}]: ${image.rows}x${image.columns} pixels; every segmented source must have the ${size.rows}x${size.columns} of the first`);
    }
    if (!(m.mask instanceof Uint8Array) || m.mask.length !== image.rows * image.columns) {
      throw new DicomResultError('RESULT_INVALID_MASK', `${field}.mask: expected ${image.rows * image.columns} values (the source's ${image.rows} rows x ${image.columns} columns; resample the model's mask to the source first), got ${m.mask?.length}`);
    }
    for (const value of valuesPresent(m.mask)) {
      if (value !== 0 && !declared.has(value)) throw new DicomResultError('RESULT_INVALID_MASK', `${field}.mask: value ${value} is not a declared segment value`);
    }
  });
  return size!;
}

function segmentItem(segment: SegmentDefinition, number: number, model: FilledModel): Dataset {
  return {
    SegmentNumber: number,
    SegmentLabel: fitText(segment.label.text, 64),
    SegmentAlgorithmType: 'AUTOMATIC',
    SegmentAlgorithmName: model.name,
    SegmentedPropertyCategoryCodeSequence: [codeItem(segment.category ?? CODES.morphologicallyAbnormalStructure, `segments[value ${segment.value}].category`)],
    SegmentedPropertyTypeCodeSequence: [codeItem(segment.type ?? segment.label.code ?? CODES.lesion, `segments[value ${segment.value}].type`)],
  };
}

function dimensions(geometry: PlaneGeometry | undefined, organizationUid: string): Dataset {
  const index = (pointer: number, group: number, label: string): Dataset => ({
    DimensionOrganizationUID: organizationUid, DimensionIndexPointer: pointer, FunctionalGroupPointer: group, DimensionDescriptionLabel: label,
  });
  return {
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: organizationUid }],
    DimensionIndexSequence: [
      index(DICTIONARY.ReferencedSegmentNumber[0], DICTIONARY.SegmentIdentificationSequence[0], 'Segment Number'),
      ...(geometry ? [index(DICTIONARY.ImagePositionPatient[0], DICTIONARY.PlanePositionSequence[0], 'Image Position Patient')] : []),
    ],
    DimensionOrganizationType: geometry ? '3D' : undefined,
  };
}

function perFrame(frame: SegFrame, mask: SegmentationMask, sources: readonly DicomInstanceInfo[], geometry: PlaneGeometry | undefined): Dataset {
  const source = sources[mask.sourceIndex]!;
  const multiFrame = (source.image?.numberOfFrames ?? 1) > 1;
  return {
    DerivationImageSequence: [{
      SourceImageSequence: [{
        ReferencedSOPClassUID: source.sopClassUID,
        ReferencedSOPInstanceUID: source.sopInstanceUID,
        ReferencedFrameNumber: multiFrame ? mask.frame : undefined,
        PurposeOfReferenceCodeSequence: [codeItem(CODES.sourceImageForProcessing)],
      }],
      DerivationCodeSequence: [codeItem(CODES.segmentation)],
    }],
    FrameContentSequence: [{
      DimensionIndexValues: geometry ? [frame.segmentNumber, geometry.sliceIndexOf(mask.sourceIndex)] : [frame.segmentNumber],
    }],
    PlanePositionSequence: geometry ? [{ ImagePositionPatient: [...geometry.positionOf(mask.sourceIndex)] }] : undefined,
    SegmentIdentificationSequence: [{ ReferencedSegmentNumber: frame.segmentNumber }],
  };
}

/**
 * A DICOM Segmentation (BINARY) from label masks, filed into the sources' study as a new series; returns the
 * Part 10 file. One segment per declared value that occurs in some mask, numbered 1..n in value order; one
 * frame per (segment, source frame) where that segment has pixels, ordered by segment then slice (then input
 * order). Masks are at the sources' rows x columns (see SegmentationMask).
 */
export function buildSegmentation(input: SegmentationInput): Uint8Array {
  const model = fillModel(input.model);
  const first = checkSources(input.sources);
  checkSegments(input.segments);
  const { rows, columns } = checkMasks(input.masks, input.sources, new Set(input.segments.map((s) => s.value)));

  const present = new Set<number>();
  for (const m of input.masks) for (const v of valuesPresent(m.mask)) if (v !== 0) present.add(v);
  const segments = input.segments.filter((s) => present.has(s.value)).sort((a, b) => a.value - b.value);
  if (segments.length === 0) throw new DicomResultError('RESULT_EMPTY_SEGMENTATION', 'masks: no mask holds a segment value; a DICOM SEG needs at least one segmented frame');

  const geometry = planeGeometry(input.sources, input.masks.map((m) => m.sourceIndex));
  const maskOrder = input.masks.map((_, i) => i);
  if (geometry) maskOrder.sort((a, b) => geometry.sliceIndexOf(input.masks[a]!.sourceIndex) - geometry.sliceIndexOf(input.masks[b]!.sourceIndex));
  const frames: SegFrame[] = [];
  segments.forEach((segment, s) => {
    for (const maskIndex of maskOrder) {
      if (input.masks[maskIndex]!.mask.includes(segment.value)) frames.push({ segmentNumber: s + 1, maskIndex, value: segment.value });
    }
  });

  const uids = resultUids(input);
  const referenced = [...new Set(input.masks.map((m) => m.sourceIndex))].sort((a, b) => a - b).map((i) => input.sources[i]!);
  return writePart10({
    ...patientAndStudy(first),
    ...seriesAndInstance({ sopClassUID: SEGMENTATION_STORAGE, uids, modality: 'SEG', seriesNumber: input.seriesNumber ?? 9002, instanceNumber: input.instanceNumber, model, now: input.now }),
    ...equipment(model, input.now),
    ImageType: ['DERIVED', 'PRIMARY'],
    // General Image: without patient geometry the orientation must be present, and is unknown here.
    PatientOrientation: geometry ? undefined : null,
    FrameOfReferenceUID: geometry?.frameOfReferenceUID,
    PositionReferenceIndicator: geometry ? null : undefined,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: frames.length,
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentsOverlap: 'NO',
    SegmentSequence: segments.map((segment, s) => segmentItem(segment, s + 1, model)),
    ContentLabel: 'SEGMENTATION',
    // Viewers show Content Description in their segment lists: the algorithm and its regulatory status.
    // 64 bytes, not characters: a regulatory status in Japanese or Greek must not overflow a reader's LO buffer.
    ContentDescription: fitBytes(`${model.name} ${model.version}: ${model.regulatoryStatus}`, 64),
    ContentCreatorName: null,
    ...dimensions(geometry, newUid(input.uidRoot)),
    SharedFunctionalGroupsSequence: geometry ? [{
      PlaneOrientationSequence: [{ ImageOrientationPatient: [...geometry.orientation] }],
      PixelMeasuresSequence: [{ PixelSpacing: [...geometry.pixelSpacing], SliceThickness: geometry.sliceThickness }],
    }] : [{}],
    PerFrameFunctionalGroupsSequence: frames.map((frame) => perFrame(frame, input.masks[frame.maskIndex]!, input.sources, geometry)),
    ReferencedSeriesSequence: referencedSeries(referenced, 'ReferencedInstanceSequence'),
    PixelData: packBinaryFrames(frames.map((f) => ({ mask: input.masks[f.maskIndex]!.mask, value: f.value })), rows * columns),
  });
}
