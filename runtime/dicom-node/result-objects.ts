import { buildClassificationSr, buildSegmentation, COMPREHENSIVE_SR_STORAGE, SEGMENTATION_STORAGE } from '../../adapters/imaging/dicom-results/index.js';
import type { DicomModelIdentity, ResultLabel } from '../../adapters/imaging/dicom-results/index.js';
import type { ImagePrediction, ImageSegmentation } from '../../adapters/imaging/image-prediction.js';
import { decodeMask } from '../../adapters/imaging/segmentation.js';
import type { StudyResult } from './process-study.js';

const UNDECLARED = 'Regulatory status not declared by the model bundle: not for diagnostic use';

/**
 * One study's findings by one model as DICOM: a Comprehensive SR (TID 1500 style, IHE AIR algorithm
 * identification) for a classifier, a SEG for a segmentation model, filed into the source study. Label
 * texts in English: a PACS shows one language, and the label codes carry the meaning. Its series, numbers
 * and UIDs come from the result's placement; an SR that supersedes an earlier one names it as predecessor.
 */
export function resultObject(result: StudyResult, manufacturer: string, now = new Date()): { kind: 'sr' | 'seg'; sopClassUID: string; bytes: Uint8Array } | undefined {
  const bundle = result.version.config.bundle;
  const labelOf = (id: string, text: string): ResultLabel => {
    const code = bundle?.labels.find((l) => l.id === id)?.code;
    return code ? { id, text, code } : { id, text };
  };
  const model: DicomModelIdentity = {
    name: result.version.name,
    version: result.version.version,
    description: bundle?.description ?? '',
    digest: result.version.config.digest,
    manufacturer,
    regulatoryStatus: bundle?.regulatory_status ?? UNDECLARED,
  };
  const { placement } = result;
  const placed = {
    seriesInstanceUid: placement.seriesInstanceUid, sopInstanceUid: placement.sopInstanceUid,
    seriesNumber: placement.seriesNumber, instanceNumber: placement.instanceNumber,
  };
  const segmentations = result.findings.filter((f): f is { sourceIndex: number; prediction: ImageSegmentation } => 'mask' in f.prediction);
  if (segmentations.length > 0) {
    const masks = segmentations.map(({ sourceIndex, prediction }) => ({
      sourceIndex,
      ...(prediction.source.frame !== undefined ? { frame: prediction.source.frame } : {}),
      mask: decodeMask(prediction.mask).labels,
    }));
    // Nothing segmented in any frame: no SEG (an empty SEG is not a valid object).
    if (masks.every((m) => m.mask.every((v) => v === 0))) return undefined;
    const segments = segmentations[0]!.prediction.segments.slice(1).map((s, i) => ({ value: i + 1, label: labelOf(s.id, s.text) }));
    return { kind: 'seg', sopClassUID: SEGMENTATION_STORAGE, bytes: buildSegmentation({ sources: result.sources, model, segments, masks, now, ...placed }) };
  }
  const findings = result.findings as { sourceIndex: number; prediction: ImagePrediction }[];
  return {
    kind: 'sr',
    sopClassUID: COMPREHENSIVE_SR_STORAGE,
    bytes: buildClassificationSr({
      sources: result.sources,
      model,
      findings: findings.map(({ sourceIndex, prediction }) => ({
        sourceIndex,
        ...(prediction.source.frame !== undefined ? { frame: prediction.source.frame } : {}),
        label: labelOf(prediction.label.id, prediction.label.text),
        score: prediction.score,
        scores: prediction.scores.map((s) => ({ ...labelOf(s.id, s.text), score: s.score })),
      })),
      language: 'en',
      now,
      ...placed,
      ...(placement.predecessor?.sopClassUID === COMPREHENSIVE_SR_STORAGE ? { predecessors: [placement.predecessor] } : {}),
    }),
  };
}
