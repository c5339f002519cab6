import type { DicomInstanceInfo } from '../dicom-info.js';
import { CODES, LANGUAGES, labelCode, PRIVATE_SCHEME, proceduresForModalities } from './codes.js';
import {
  checkSources, equipment, fillModel, patientAndStudy, referencedSeries, resultUids, seriesAndInstance, type FilledModel,
} from './common-modules.js';
import type { Dataset } from './dictionary.js';
import { DicomResultError } from './errors.js';
import { writePart10 } from './part10.js';
import * as item from './sr-content.js';
import type { ClassificationFinding, ClassificationSrInput, ResultLabel } from './types.js';
import { isValidUid, newUid } from './uid.js';

export const COMPREHENSIVE_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.33';

const isProbability = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1;

function checkLabel(label: ResultLabel | undefined, field: string): void {
  if (!label || typeof label.id !== 'string' || label.id === '' || typeof label.text !== 'string' || label.text === '') {
    throw new DicomResultError('RESULT_INVALID_FINDING', `${field}: expected a label with a non-empty id and text`);
  }
}

function checkFinding(finding: ClassificationFinding, i: number, sources: readonly DicomInstanceInfo[]): void {
  const field = `findings[${i}]`;
  const source = sources[finding.sourceIndex];
  if (!Number.isInteger(finding.sourceIndex) || !source) {
    throw new DicomResultError('RESULT_INVALID_FINDING', `${field}.sourceIndex: expected 0..${sources.length - 1}, got ${finding.sourceIndex}`);
  }
  if (finding.frame !== undefined) {
    const frames = source.image?.numberOfFrames ?? 1;
    if (!Number.isInteger(finding.frame) || finding.frame < 1 || finding.frame > frames) {
      throw new DicomResultError('RESULT_INVALID_FINDING', `${field}.frame: expected 1..${frames} (frames of sources[${finding.sourceIndex}]), got ${finding.frame}`);
    }
  }
  checkLabel(finding.label, `${field}.label`);
  if (!isProbability(finding.score)) throw new DicomResultError('RESULT_INVALID_FINDING', `${field}.score: expected a probability 0..1, got ${finding.score}`);
  if (!Array.isArray(finding.scores) || finding.scores.length === 0) {
    throw new DicomResultError('RESULT_INVALID_FINDING', `${field}.scores: expected every class's probability, got none`);
  }
  finding.scores.forEach((s, j) => {
    checkLabel(s, `${field}.scores[${j}]`);
    if (!isProbability(s.score)) throw new DicomResultError('RESULT_INVALID_FINDING', `${field}.scores[${j}].score: expected a probability 0..1, got ${s.score}`);
  });
}

/** TID 1002 with a device observer: the algorithm is the observer. */
function deviceObserver(model: FilledModel): Dataset[] {
  return [
    item.code('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    item.uidRef('HAS OBS CONTEXT', CODES.deviceObserverUid, model.deviceUid),
    item.text('HAS OBS CONTEXT', CODES.deviceObserverName, model.name),
    item.text('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, model.manufacturer),
    item.text('HAS OBS CONTEXT', CODES.deviceObserverModelName, model.name),
    item.text('HAS OBS CONTEXT', CODES.deviceObserverSerialNumber, model.deviceSerial),
  ];
}

/** TID 1600 Image Library: one group per source series, an IMAGE entry per source instance. */
function imageLibrary(sources: readonly DicomInstanceInfo[]): Dataset {
  const groups = new Map<string, Dataset[]>();
  const seen = new Set<string>();
  for (const source of sources) {
    if (seen.has(source.sopInstanceUID)) continue;
    seen.add(source.sopInstanceUID);
    const entries = groups.get(source.seriesInstanceUID) ?? [];
    entries.push(item.image('CONTAINS', undefined, { sopClassUID: source.sopClassUID, sopInstanceUID: source.sopInstanceUID }));
    groups.set(source.seriesInstanceUID, entries);
  }
  return item.container('CONTAINS', CODES.imageLibrary, [...groups.values()].map((entries) => item.container('CONTAINS', CODES.imageLibraryGroup, entries)));
}

/**
 * TID 1501 Measurement Group for one source image (or frame): tracking identifiers, the predicted label as
 * Finding, the source image, the algorithm (TID 4019), and each class's probability as NUM (122157, DCM,
 * "Probability") modified by the class as Finding: "Probability, of Finding = Pneumonia: 0.93".
 */
function measurementGroup(finding: ClassificationFinding, n: number, sources: readonly DicomInstanceInfo[], model: FilledModel, uidRoot: string | undefined): Dataset {
  const source = sources[finding.sourceIndex]!;
  // A frame number only for a multi-frame image: PS3.3 forbids it for single-frame SOP classes.
  const frames = finding.frame === undefined || (source.image?.numberOfFrames ?? 1) === 1 ? undefined : [finding.frame];
  return item.container('CONTAINS', CODES.measurementGroup, [
    item.text('HAS OBS CONTEXT', CODES.trackingIdentifier, `${model.name} finding ${n}`),
    item.uidRef('HAS OBS CONTEXT', CODES.trackingUniqueIdentifier, newUid(uidRoot)),
    item.code('CONTAINS', CODES.finding, labelCode(finding.label), `findings[${n - 1}].label`),
    item.image('CONTAINS', CODES.source, { sopClassUID: source.sopClassUID, sopInstanceUID: source.sopInstanceUID, frames }),
    item.text('HAS CONCEPT MOD', CODES.algorithmName, model.name),
    item.text('HAS CONCEPT MOD', CODES.algorithmVersion, model.version),
    ...finding.scores.map((s, j) => item.num('CONTAINS', CODES.probability, s.score, CODES.noUnits, `findings[${n - 1}].scores[${j}].score`, [
      item.code('HAS CONCEPT MOD', CODES.finding, labelCode(s), `findings[${n - 1}].scores[${j}]`),
    ])),
  ], '1501');
}

/**
 * A Comprehensive SR (TID 1500 Imaging Measurement Report) with a classification model's findings, filed into
 * the sources' study as a new series. Returns the DICOM Part 10 file.
 */
export function buildClassificationSr(input: ClassificationSrInput): Uint8Array {
  const model = fillModel(input.model);
  const first = checkSources(input.sources);
  if (!Array.isArray(input.findings) || input.findings.length === 0) {
    throw new DicomResultError('RESULT_INVALID_FINDING', 'findings: expected at least one finding, got none');
  }
  input.findings.forEach((finding, i) => checkFinding(finding, i, input.sources));
  const language = LANGUAGES[input.language];
  if (!language) throw new DicomResultError('RESULT_INVALID_FINDING', `language: expected 'en', 'fr' or 'de', got ${JSON.stringify(input.language)}`);
  const uids = resultUids(input);

  const qualitative = [
    item.text('CONTAINS', CODES.regulatoryStatus, model.regulatoryStatus),
    ...(model.description.trim() === '' ? [] : [item.text('CONTAINS', CODES.modelDescription, model.description)]),
  ];
  const root = item.container(undefined, CODES.imagingMeasurementReport, [
    item.code('HAS CONCEPT MOD', CODES.languageOfContent, language),
    ...deviceObserver(model),
    // One Procedure Reported per distinct procedure of the evidence (a CR and a CT study part reports both).
    ...(input.procedure ? [input.procedure] : proceduresForModalities(input.sources.map((s) => s.modality)))
      .map((procedure) => item.code('HAS CONCEPT MOD', CODES.procedureReported, procedure, 'procedure')),
    imageLibrary(input.sources),
    item.container('CONTAINS', CODES.imagingMeasurements, input.findings.map((f, i) => measurementGroup(f, i + 1, input.sources, model, input.uidRoot))),
    item.container('CONTAINS', CODES.qualitativeEvaluations, qualitative),
  ], '1500');

  return writePart10({
    ...patientAndStudy(first),
    ...seriesAndInstance({ sopClassUID: COMPREHENSIVE_SR_STORAGE, uids, modality: 'SR', seriesNumber: input.seriesNumber ?? 9001, instanceNumber: input.instanceNumber, model, now: input.now }),
    ...equipment(model, input.now),
    // Regulatory status and model description are always 99CLINFER concepts; labels without a code are too.
    CodingSchemeIdentificationSequence: [{ ...PRIVATE_SCHEME }],
    ReferencedPerformedProcedureStepSequence: null,
    ...root,
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: null,
    ...predecessorDocuments(first.studyInstanceUID, input.predecessors),
    CurrentRequestedProcedureEvidenceSequence: [{
      StudyInstanceUID: first.studyInstanceUID,
      ReferencedSeriesSequence: referencedSeries(input.sources, 'ReferencedSOPSequence'),
    }],
  });
}

/** PS3.3 C.17.2.3: the SRs this one supersedes, all in the sources' study, by series (Hierarchical SOP Instance Reference). */
function predecessorDocuments(study: string, predecessors: ClassificationSrInput['predecessors']): Dataset {
  if (!predecessors || predecessors.length === 0) return {};
  const bySeries = new Map<string, Dataset[]>();
  predecessors.forEach((p, i) => {
    for (const field of ['seriesInstanceUID', 'sopClassUID', 'sopInstanceUID'] as const) {
      if (!isValidUid(p[field])) throw new DicomResultError('RESULT_INVALID_VALUE', `predecessors[${i}].${field}: not a valid UID`);
    }
    bySeries.set(p.seriesInstanceUID, [...(bySeries.get(p.seriesInstanceUID) ?? []), item.referencedSop(p)]);
  });
  return {
    PredecessorDocumentsSequence: [{
      StudyInstanceUID: study,
      ReferencedSeriesSequence: [...bySeries].map(([series, instances]) => ({ SeriesInstanceUID: series, ReferencedSOPSequence: instances })),
    }],
  };
}
