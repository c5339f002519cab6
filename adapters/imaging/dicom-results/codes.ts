import type { Dataset } from './dictionary.js';
import { DicomResultError } from './errors.js';
import type { CodedConcept, ResultLabel } from './types.js';
import { fitText } from './values.js';
import { ownEntry } from '../../own-entry.js';

const dcm = (value: string, meaning: string): CodedConcept => ({ value, scheme: 'DCM', meaning });
const sct = (value: string, meaning: string): CodedConcept => ({ value, scheme: 'SCT', meaning });

/** Codes from PS3.16, with the meanings the standard gives them. */
export const CODES = {
  imagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  languageOfContent: dcm('121049', 'Language of Content Item and Descendants'),
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  deviceObserverModelName: dcm('121015', 'Device Observer Model Name'),
  deviceObserverSerialNumber: dcm('121016', 'Device Observer Serial Number'),
  procedureReported: dcm('121058', 'Procedure reported'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingIdentifier: dcm('112039', 'Tracking Identifier'),
  trackingUniqueIdentifier: dcm('112040', 'Tracking Unique Identifier'),
  finding: dcm('121071', 'Finding'),
  source: sct('260753009', 'Source'),
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  probability: dcm('122157', 'Probability'),
  qualitativeEvaluations: { value: 'C0034375', scheme: 'UMLS', meaning: 'Qualitative Evaluations' },
  noUnits: { value: '1', scheme: 'UCUM', meaning: 'no units' },
  /** CID 7005 Contributing Equipment Purposes of Reference. */
  processingEquipment: dcm('109102', 'Processing Equipment'),
  /** CID 7202: the purpose of each Source Image Sequence item of a SEG frame. */
  sourceImageForProcessing: dcm('121322', 'Source image for image processing operation'),
  segmentation: dcm('113076', 'Segmentation'),
  morphologicallyAbnormalStructure: sct('49755003', 'Morphologically Abnormal Structure'),
  lesion: sct('52988006', 'Lesion'),
  regulatoryStatus: { value: 'REGSTATUS', scheme: '99CLINFER', meaning: 'Regulatory status' },
  modelDescription: { value: 'MODELDESC', scheme: '99CLINFER', meaning: 'Model description' },
} as const satisfies Record<string, CodedConcept>;

/** clinfer's private coding scheme (PS3.16 8.2: designators starting with 99 are private). */
export const PRIVATE_SCHEME = {
  CodingSchemeDesignator: '99CLINFER',
  CodingSchemeName: 'clinfer model labels and result concepts',
  CodingSchemeResponsibleOrganization: 'clinfer',
} as const;

export const LANGUAGES = {
  en: { value: 'en', scheme: 'RFC5646', meaning: 'English' },
  fr: { value: 'fr', scheme: 'RFC5646', meaning: 'French' },
  de: { value: 'de', scheme: 'RFC5646', meaning: 'German' },
} as const satisfies Record<string, CodedConcept>;

/** Procedure Reported when the caller gives none: the sources' modality as a SNOMED CT procedure. */
const PROCEDURE_BY_MODALITY: Record<string, CodedConcept> = {
  CT: sct('77477000', 'Computed tomography'),
  MR: sct('113091000', 'Magnetic resonance imaging'),
  CR: sct('363680008', 'Radiographic imaging procedure'),
  DX: sct('363680008', 'Radiographic imaging procedure'),
  MG: sct('71651007', 'Mammography'),
  US: sct('16310003', 'Ultrasonography'),
  PT: sct('82918005', 'Positron emission tomography'),
  XA: sct('77343006', 'Angiography'),
};
const IMAGING = sct('363679005', 'Imaging');

export function procedureForModality(modality: string | undefined): CodedConcept {
  return (modality !== undefined ? ownEntry(PROCEDURE_BY_MODALITY, modality) : undefined) ?? IMAGING;
}

/** Procedure Reported (TID 1500, VM 1-n) for evidence of several modalities: one code per distinct procedure, in source order. */
export function proceduresForModalities(modalities: readonly (string | undefined)[]): CodedConcept[] {
  const codes = new Map<string, CodedConcept>();
  for (const modality of modalities) {
    const code = procedureForModality(modality);
    if (!codes.has(`${code.scheme}|${code.value}`)) codes.set(`${code.scheme}|${code.value}`, code);
  }
  // Imaging (the generic code) only when nothing more precise is known.
  const specific = [...codes.values()].filter((c) => c !== IMAGING);
  return specific.length > 0 ? specific : [IMAGING];
}

/** A label as a code: the bundle's own code if it has one, else (id, 99CLINFER, text). */
export function labelCode(label: ResultLabel): CodedConcept {
  return label.code ?? { value: label.id, scheme: PRIVATE_SCHEME.CodingSchemeDesignator, meaning: label.text };
}

/**
 * A Code Sequence item. Code values longer than 16 characters go into Long Code Value (PS3.3 8.8); a meaning
 * longer than the 64 characters of LO is shortened with an ellipsis.
 */
export function codeItem(code: CodedConcept, field = 'code'): Dataset {
  if (code.value.length === 0 || code.scheme.length === 0) {
    throw new DicomResultError('RESULT_INVALID_VALUE', `${field}: a code needs a value and a coding scheme designator`);
  }
  const long = code.value.length > 16;
  return {
    ...(long ? { LongCodeValue: code.value } : { CodeValue: code.value }),
    CodingSchemeDesignator: code.scheme,
    CodeMeaning: fitText(code.meaning, 64),
  };
}
