import type { DicomInstanceInfo } from '../dicom-info.js';
import { CODES, codeItem } from './codes.js';
import type { Dataset } from './dictionary.js';
import { DicomResultError } from './errors.js';
import { referencedSop } from './sr-content.js';
import type { DicomModelIdentity } from './types.js';
import { deviceUidFromDigest, isValidUid, newUid, normalizeDigest } from './uid.js';
import { dicomDate, dicomDateTime, dicomTime, fitText, UTC_OFFSET } from './values.js';

/** The model identity with defaults filled and the Device UID derived; validated once, then only read. */
export interface FilledModel {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly digest: string;
  readonly manufacturer: string;
  readonly regulatoryStatus: string;
  readonly deviceSerial: string;
  readonly deviceUid: string;
}

export function fillModel(model: DicomModelIdentity): FilledModel {
  for (const field of ['name', 'version'] as const) {
    if (typeof model[field] !== 'string' || model[field].trim() === '') {
      throw new DicomResultError('RESULT_INVALID_MODEL', `model.${field}: expected a non-empty string`);
    }
    if (Array.from(model[field]).length > 64) {
      throw new DicomResultError('RESULT_INVALID_MODEL', `model.${field}: at most 64 characters (DICOM LO), got ${Array.from(model[field]).length}`);
    }
  }
  const digest = normalizeDigest(model.digest);
  return Object.freeze({
    name: model.name,
    version: model.version,
    description: model.description ?? '',
    digest,
    manufacturer: fitText(model.manufacturer ?? 'clinfer', 64),
    // Always shown: a bundle that states nothing says so rather than leaving the reader to guess.
    regulatoryStatus: model.regulatoryStatus?.trim() || 'Regulatory status not stated by the model bundle',
    deviceSerial: fitText(model.deviceSerial ?? digest.slice(0, 16), 64),
    deviceUid: deviceUidFromDigest(digest),
  });
}

/** Sources must be one study of one patient: the result files into that study. */
export function checkSources(sources: readonly DicomInstanceInfo[]): DicomInstanceInfo {
  const first = sources[0];
  if (!first) throw new DicomResultError('RESULT_INVALID_SOURCES', 'sources: expected at least one source instance, got none');
  sources.forEach((source, i) => {
    for (const field of ['sopClassUID', 'sopInstanceUID', 'seriesInstanceUID', 'studyInstanceUID'] as const) {
      if (!isValidUid(source[field])) throw new DicomResultError('RESULT_INVALID_SOURCES', `sources[${i}].${field}: not a valid UID`);
    }
    if (source.studyInstanceUID !== first.studyInstanceUID) {
      throw new DicomResultError('RESULT_INVALID_SOURCES', `sources[${i}].studyInstanceUID: every source must belong to the study of sources[0]`);
    }
    if (source.patient.id !== first.patient.id) {
      throw new DicomResultError('RESULT_INVALID_SOURCES', `sources[${i}].patient.id: every source must belong to the patient of sources[0]`);
    }
  });
  return first;
}

/** The new series' and instance's UIDs: preassigned by the caller, or new. */
export function resultUids(input: { uidRoot?: string; seriesInstanceUid?: string; sopInstanceUid?: string }): { series: string; instance: string } {
  for (const field of ['seriesInstanceUid', 'sopInstanceUid'] as const) {
    const uid = input[field];
    if (uid !== undefined && !isValidUid(uid)) throw new DicomResultError('RESULT_INVALID_VALUE', `${field}: not a valid UID`);
  }
  return {
    series: input.seriesInstanceUid ?? newUid(input.uidRoot),
    instance: input.sopInstanceUid ?? newUid(input.uidRoot),
  };
}

/** Patient and General Study modules, copied from the source so that the result files with its study. */
export function patientAndStudy(source: DicomInstanceInfo): Dataset {
  return {
    PatientName: source.patient.name ?? null,
    PatientID: source.patient.id ?? null,
    PatientBirthDate: source.patient.birthDate ?? null,
    PatientSex: source.patient.sex ?? null,
    StudyInstanceUID: source.studyInstanceUID,
    StudyDate: source.study.date ?? null,
    StudyTime: source.study.time ?? null,
    ReferringPhysicianName: source.study.referringPhysicianName ?? null,
    StudyID: source.study.id ?? null,
    AccessionNumber: source.study.accessionNumber ?? null,
  };
}

export function seriesDescription(model: FilledModel): string {
  return fitText(`AI result: ${model.name} ${model.version}`, 64);
}

/** The new series and the instance's creation (SOP Common), stamped with `now` in UTC. */
export function seriesAndInstance(opts: {
  sopClassUID: string; uids: { series: string; instance: string }; modality: string; seriesNumber: number; instanceNumber?: number | undefined; model: FilledModel; now: Date;
}): Dataset {
  const { now } = opts;
  return {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: opts.sopClassUID,
    SOPInstanceUID: opts.uids.instance,
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    TimezoneOffsetFromUTC: UTC_OFFSET,
    Modality: opts.modality,
    SeriesInstanceUID: opts.uids.series,
    SeriesNumber: opts.seriesNumber,
    SeriesDate: dicomDate(now),
    SeriesTime: dicomTime(now),
    SeriesDescription: seriesDescription(opts.model),
    InstanceNumber: opts.instanceNumber ?? 1,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
  };
}

/**
 * General Equipment (and Enhanced General Equipment, same attributes) naming the algorithm, and the Contributing
 * Equipment Sequence that IHE AI Results asks for: manufacturer, model name = bundle name, software version =
 * bundle version, Device UID derived from the bundle digest, purpose (109102, DCM, "Processing Equipment").
 */
export function equipment(model: FilledModel, now: Date): Dataset {
  const description = fitText([model.description, model.regulatoryStatus].filter((s) => s.trim() !== '').join(' — '), 1024);
  return {
    Manufacturer: model.manufacturer,
    ManufacturerModelName: model.name,
    SoftwareVersions: model.version,
    DeviceSerialNumber: model.deviceSerial,
    DeviceUID: model.deviceUid,
    ContributingEquipmentSequence: [{
      Manufacturer: model.manufacturer,
      ManufacturerModelName: model.name,
      SoftwareVersions: model.version,
      DeviceSerialNumber: model.deviceSerial,
      DeviceUID: model.deviceUid,
      PurposeOfReferenceCodeSequence: [codeItem(CODES.processingEquipment)],
      ContributionDateTime: dicomDateTime(now),
      ContributionDescription: description === '' ? undefined : description,
    }],
  };
}

/**
 * The sources grouped by series, each series' instances in source order, each instance once: the Hierarchical
 * SOP Instance Reference Macro of SR evidence lists them in Referenced SOP Sequence, the SEG's Referenced Series
 * Sequence in Referenced Instance Sequence.
 */
export function referencedSeries(sources: readonly DicomInstanceInfo[], instancesKey: 'ReferencedSOPSequence' | 'ReferencedInstanceSequence'): Dataset[] {
  const bySeries = new Map<string, Dataset[]>();
  const seen = new Set<string>();
  for (const source of sources) {
    if (seen.has(source.sopInstanceUID)) continue;
    seen.add(source.sopInstanceUID);
    const list = bySeries.get(source.seriesInstanceUID) ?? [];
    list.push(referencedSop({ sopClassUID: source.sopClassUID, sopInstanceUID: source.sopInstanceUID }));
    bySeries.set(source.seriesInstanceUID, list);
  }
  return [...bySeries].map(([series, instances]) => ({ SeriesInstanceUID: series, [instancesKey]: instances }));
}
