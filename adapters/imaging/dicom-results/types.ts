import type { ModelIdentity } from '../../model-identity.js';
import type { DicomInstanceInfo } from '../dicom-info.js';

/** A coded concept (PS3.3 Code Sequence Macro): value, coding scheme designator (e.g. SCT, DCM), meaning. */
export interface CodedConcept {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

/**
 * One of a bundle's labels, its text already in the result's language. Without `code` the label is coded in
 * clinfer's private scheme 99CLINFER as (id, 99CLINFER, text); give a standard code (SNOMED CT, RadLex) where
 * the bundle has one.
 */
export interface ResultLabel {
  readonly id: string;
  readonly text: string;
  readonly code?: CodedConcept;
}

/** The algorithm that made the result, as IHE AI Results asks it to be identified. */
export interface DicomModelIdentity extends ModelIdentity {
  /** The bundle name: Manufacturer's Model Name and the algorithm name. */
  readonly name: string;
  /** The bundle version: Software Versions and the algorithm version. */
  readonly version: string;
  /** sha-256 hex of the bundle; required here: the Device UID is derived from it. */
  readonly digest: string;
  /** Default 'clinfer'. */
  readonly manufacturer?: string;
  /** Shown to every reader, e.g. 'Not for diagnostic use: demonstration model'. */
  readonly regulatoryStatus: string;
  /** Default: the first 16 hex digits of the digest. */
  readonly deviceSerial?: string;
}

export interface ClassScore extends ResultLabel {
  /** The class probability, 0..1 (e.g. a softmax output). */
  readonly score: number;
}

/** The prediction for one source instance, or one frame of a multi-frame instance. */
export interface ClassificationFinding {
  /** Index into `sources`. */
  readonly sourceIndex: number;
  /** 1-based frame number of a multi-frame source; absent for the whole instance. */
  readonly frame?: number;
  /** The predicted label. */
  readonly label: ResultLabel;
  /** The predicted label's probability, 0..1. */
  readonly score: number;
  /** Every class's probability, the predicted one included. */
  readonly scores: readonly ClassScore[];
}

export type ResultLanguage = 'en' | 'fr' | 'de';

interface ResultCommon {
  /** One or more instances of one study (one patient). The result files into that study. */
  readonly sources: readonly DicomInstanceInfo[];
  readonly model: DicomModelIdentity;
  /** Content date and time of the result (UTC); given, so that tests are deterministic. */
  readonly now: Date;
  /** The site's UID root; default: UUID-derived UIDs under 2.25. */
  readonly uidRoot?: string;
  /** Series Number of the new result series; default 9001 (SR) or 9002 (SEG). */
  readonly seriesNumber?: number;
  /** Instance Number in its series; default 1 (a later result for a grown study continues an earlier series). */
  readonly instanceNumber?: number;
  /** Preassigned UIDs of the new series and instance (e.g. to record them before sending); default: new ones. */
  readonly seriesInstanceUid?: string;
  readonly sopInstanceUid?: string;
}

export interface ClassificationSrInput extends ResultCommon {
  readonly findings: readonly ClassificationFinding[];
  /** Language of the label texts; recorded in the report (TID 1204). */
  readonly language: ResultLanguage;
  /** Procedure Reported; default: derived from the sources' modality. */
  readonly procedure?: CodedConcept;
  /** Earlier SRs of the same study that this one supersedes (Predecessor Documents Sequence, PS3.3 C.17.2). */
  readonly predecessors?: readonly { readonly seriesInstanceUID: string; readonly sopClassUID: string; readonly sopInstanceUID: string }[];
}

/** How the bundle declares one mask value. */
export interface SegmentDefinition {
  /** The mask value k (1..255) that marks this segment. */
  readonly value: number;
  readonly label: ResultLabel;
  /** Segmented Property Category (CID 7150); default (49755003, SCT, "Morphologically Abnormal Structure"). */
  readonly category?: CodedConcept;
  /** Segmented Property Type (CID 7151); default: the label's code, else (52988006, SCT, "Lesion"). */
  readonly type?: CodedConcept;
}

/**
 * The label mask of one source frame: rows x columns of the SOURCE (row-major), 0 = background, k = the
 * segment whose `value` is k. A model that works at its own resolution must resample its mask to the source
 * rows x columns first (nearest neighbour, so that values stay labels).
 */
export interface SegmentationMask {
  readonly sourceIndex: number;
  /** 1-based frame of a multi-frame source; absent for a single-frame source. */
  readonly frame?: number;
  readonly mask: Uint8Array;
}

export interface SegmentationInput extends ResultCommon {
  readonly segments: readonly SegmentDefinition[];
  readonly masks: readonly SegmentationMask[];
}
