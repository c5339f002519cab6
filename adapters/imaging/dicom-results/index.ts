export { buildClassificationSr, COMPREHENSIVE_SR_STORAGE } from './classification-sr.js';
export { buildSegmentation, SEGMENTATION_STORAGE } from './segmentation.js';
export { deviceUidFromDigest, newUid } from './uid.js';
export { DicomResultError, type DicomResultErrorCode } from './errors.js';
export type {
  ClassificationFinding, ClassificationSrInput, ClassScore, CodedConcept, DicomModelIdentity, ResultLabel, ResultLanguage,
  SegmentationInput, SegmentationMask, SegmentDefinition,
} from './types.js';
