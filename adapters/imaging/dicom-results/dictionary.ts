/**
 * The attributes clinfer writes into result objects, keyword -> [tag, VR], from PS3.6. Only these: the writer
 * refuses any other keyword, so a typo fails the first test instead of writing a wrong tag. A test checks every
 * entry against dcmjs's full dictionary.
 */
export type Vr =
  | 'AE' | 'AS' | 'AT' | 'CS' | 'DA' | 'DS' | 'DT' | 'FD' | 'FL' | 'IS' | 'LO' | 'LT' | 'OB' | 'OW' | 'PN' | 'SH'
  | 'SL' | 'SQ' | 'SS' | 'ST' | 'TM' | 'UC' | 'UI' | 'UL' | 'UR' | 'US' | 'UT';

export const DICTIONARY = {
  // File Meta Information (group 0002) is written by ../dicom/part10-framing.ts, not from this dictionary.
  // Identification, SOP Common
  SpecificCharacterSet: [0x00080005, 'CS'],
  ImageType: [0x00080008, 'CS'],
  InstanceCreationDate: [0x00080012, 'DA'],
  InstanceCreationTime: [0x00080013, 'TM'],
  SOPClassUID: [0x00080016, 'UI'],
  SOPInstanceUID: [0x00080018, 'UI'],
  StudyDate: [0x00080020, 'DA'],
  SeriesDate: [0x00080021, 'DA'],
  ContentDate: [0x00080023, 'DA'],
  StudyTime: [0x00080030, 'TM'],
  SeriesTime: [0x00080031, 'TM'],
  ContentTime: [0x00080033, 'TM'],
  AccessionNumber: [0x00080050, 'SH'],
  Modality: [0x00080060, 'CS'],
  Manufacturer: [0x00080070, 'LO'],
  ReferringPhysicianName: [0x00080090, 'PN'],
  CodeValue: [0x00080100, 'SH'],
  CodingSchemeDesignator: [0x00080102, 'SH'],
  CodingSchemeVersion: [0x00080103, 'SH'],
  CodeMeaning: [0x00080104, 'LO'],
  MappingResource: [0x00080105, 'CS'],
  CodingSchemeIdentificationSequence: [0x00080110, 'SQ'],
  CodingSchemeName: [0x00080115, 'ST'],
  CodingSchemeResponsibleOrganization: [0x00080116, 'ST'],
  MappingResourceUID: [0x00080118, 'UI'],
  LongCodeValue: [0x00080119, 'UC'],
  TimezoneOffsetFromUTC: [0x00080201, 'SH'],
  SeriesDescription: [0x0008103e, 'LO'],
  ManufacturerModelName: [0x00081090, 'LO'],
  ReferencedPerformedProcedureStepSequence: [0x00081111, 'SQ'],
  ReferencedSeriesSequence: [0x00081115, 'SQ'],
  ReferencedInstanceSequence: [0x0008114a, 'SQ'],
  ReferencedSOPClassUID: [0x00081150, 'UI'],
  ReferencedSOPInstanceUID: [0x00081155, 'UI'],
  ReferencedFrameNumber: [0x00081160, 'IS'],
  ReferencedSOPSequence: [0x00081199, 'SQ'],
  DerivationDescription: [0x00082111, 'ST'],
  SourceImageSequence: [0x00082112, 'SQ'],
  DerivationImageSequence: [0x00089124, 'SQ'],
  DerivationCodeSequence: [0x00089215, 'SQ'],
  // Patient
  PatientName: [0x00100010, 'PN'],
  PatientID: [0x00100020, 'LO'],
  PatientBirthDate: [0x00100030, 'DA'],
  PatientSex: [0x00100040, 'CS'],
  // Equipment, acquisition
  SliceThickness: [0x00180050, 'DS'],
  SpacingBetweenSlices: [0x00180088, 'DS'],
  DeviceSerialNumber: [0x00181000, 'LO'],
  DeviceUID: [0x00181002, 'UI'],
  SoftwareVersions: [0x00181020, 'LO'],
  ContributingEquipmentSequence: [0x0018a001, 'SQ'],
  ContributionDateTime: [0x0018a002, 'DT'],
  ContributionDescription: [0x0018a003, 'ST'],
  // Study, series, instance, geometry
  StudyInstanceUID: [0x0020000d, 'UI'],
  SeriesInstanceUID: [0x0020000e, 'UI'],
  StudyID: [0x00200010, 'SH'],
  SeriesNumber: [0x00200011, 'IS'],
  InstanceNumber: [0x00200013, 'IS'],
  PatientOrientation: [0x00200020, 'CS'],
  ImagePositionPatient: [0x00200032, 'DS'],
  ImageOrientationPatient: [0x00200037, 'DS'],
  FrameOfReferenceUID: [0x00200052, 'UI'],
  PositionReferenceIndicator: [0x00201040, 'LO'],
  FrameContentSequence: [0x00209111, 'SQ'],
  PlanePositionSequence: [0x00209113, 'SQ'],
  PlaneOrientationSequence: [0x00209116, 'SQ'],
  DimensionIndexValues: [0x00209157, 'UL'],
  DimensionOrganizationUID: [0x00209164, 'UI'],
  DimensionIndexPointer: [0x00209165, 'AT'],
  FunctionalGroupPointer: [0x00209167, 'AT'],
  DimensionOrganizationSequence: [0x00209221, 'SQ'],
  DimensionIndexSequence: [0x00209222, 'SQ'],
  DimensionOrganizationType: [0x00209311, 'CS'],
  DimensionDescriptionLabel: [0x00209421, 'LO'],
  // Image pixel, multi-frame
  SamplesPerPixel: [0x00280002, 'US'],
  PhotometricInterpretation: [0x00280004, 'CS'],
  NumberOfFrames: [0x00280008, 'IS'],
  Rows: [0x00280010, 'US'],
  Columns: [0x00280011, 'US'],
  PixelSpacing: [0x00280030, 'DS'],
  BitsAllocated: [0x00280100, 'US'],
  BitsStored: [0x00280101, 'US'],
  HighBit: [0x00280102, 'US'],
  PixelRepresentation: [0x00280103, 'US'],
  LossyImageCompression: [0x00282110, 'CS'],
  PixelMeasuresSequence: [0x00289110, 'SQ'],
  // Structured reporting
  MeasurementUnitsCodeSequence: [0x004008ea, 'SQ'],
  RelationshipType: [0x0040a010, 'CS'],
  ValueType: [0x0040a040, 'CS'],
  ConceptNameCodeSequence: [0x0040a043, 'SQ'],
  ContinuityOfContent: [0x0040a050, 'CS'],
  UID: [0x0040a124, 'UI'],
  TextValue: [0x0040a160, 'UT'],
  FloatingPointValue: [0x0040a161, 'FD'],
  ConceptCodeSequence: [0x0040a168, 'SQ'],
  PurposeOfReferenceCodeSequence: [0x0040a170, 'SQ'],
  MeasuredValueSequence: [0x0040a300, 'SQ'],
  NumericValue: [0x0040a30a, 'DS'],
  PredecessorDocumentsSequence: [0x0040a360, 'SQ'],
  PerformedProcedureCodeSequence: [0x0040a372, 'SQ'],
  CurrentRequestedProcedureEvidenceSequence: [0x0040a375, 'SQ'],
  CompletionFlag: [0x0040a491, 'CS'],
  VerificationFlag: [0x0040a493, 'CS'],
  ContentTemplateSequence: [0x0040a504, 'SQ'],
  ContentSequence: [0x0040a730, 'SQ'],
  TemplateIdentifier: [0x0040db00, 'CS'],
  // Segmentation
  SegmentationType: [0x00620001, 'CS'],
  SegmentSequence: [0x00620002, 'SQ'],
  SegmentedPropertyCategoryCodeSequence: [0x00620003, 'SQ'],
  SegmentNumber: [0x00620004, 'US'],
  SegmentLabel: [0x00620005, 'LO'],
  SegmentDescription: [0x00620006, 'ST'],
  SegmentAlgorithmType: [0x00620008, 'CS'],
  SegmentAlgorithmName: [0x00620009, 'LO'],
  SegmentIdentificationSequence: [0x0062000a, 'SQ'],
  ReferencedSegmentNumber: [0x0062000b, 'US'],
  RecommendedDisplayCIELabValue: [0x0062000d, 'US'],
  SegmentedPropertyTypeCodeSequence: [0x0062000f, 'SQ'],
  SegmentsOverlap: [0x00620013, 'CS'],
  ContentLabel: [0x00700080, 'CS'],
  ContentDescription: [0x00700081, 'LO'],
  ContentCreatorName: [0x00700084, 'PN'],
  // Functional groups, pixel data
  SharedFunctionalGroupsSequence: [0x52009229, 'SQ'],
  PerFrameFunctionalGroupsSequence: [0x52009230, 'SQ'],
  PixelData: [0x7fe00010, 'OB'],
} as const satisfies Record<string, readonly [number, Vr]>;

export type Keyword = keyof typeof DICTIONARY;

/**
 * A data set as the builders write it, by keyword. `undefined` leaves the attribute out; `null` writes it with no
 * value (a Type 2 attribute that is unknown). Strings of multi-valued attributes are arrays; numbers of DS and IS
 * are formatted by the writer; a sequence is an array of data sets; OB is a Uint8Array.
 */
export type DicomValue = string | number | readonly string[] | readonly number[] | Uint8Array | readonly Dataset[] | null;
export type Dataset = { readonly [K in Keyword]?: DicomValue };
