/**
 * The tags this adapter reads, as 32-bit numbers (group << 16 | element), with their keywords so that
 * error messages can say "Rows (0028,0010)" rather than a bare number.
 */
export const Tag = {
  FileMetaInformationGroupLength: 0x00020000,
  MediaStorageSOPClassUID: 0x00020002,
  TransferSyntaxUID: 0x00020010,
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  StudyTime: 0x00080030,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  ReferringPhysicianName: 0x00080090,
  SeriesDescription: 0x0008103e,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  PatientAge: 0x00101010,
  BodyPartExamined: 0x00180015,
  SliceThickness: 0x00180050,
  ViewPosition: 0x00185101,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  FrameOfReferenceUID: 0x00200052,
  PlanePositionSequence: 0x00209113,
  PlaneOrientationSequence: 0x00209116,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  VOILUTFunction: 0x00281056,
  RedPaletteColorLookupTableDescriptor: 0x00281101,
  GreenPaletteColorLookupTableDescriptor: 0x00281102,
  BluePaletteColorLookupTableDescriptor: 0x00281103,
  RedPaletteColorLookupTableData: 0x00281201,
  GreenPaletteColorLookupTableData: 0x00281202,
  BluePaletteColorLookupTableData: 0x00281203,
  SegmentedRedPaletteColorLookupTableData: 0x00281221,
  ModalityLUTSequence: 0x00283000,
  LUTDescriptor: 0x00283002,
  LUTData: 0x00283006,
  VOILUTSequence: 0x00283010,
  PixelMeasuresSequence: 0x00289110,
  FrameVOILUTSequence: 0x00289132,
  PixelValueTransformationSequence: 0x00289145,
  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,
  FloatPixelData: 0x7fe00008,
  DoubleFloatPixelData: 0x7fe00009,
  PixelData: 0x7fe00010,
  Item: 0xfffee000,
  ItemDelimitationItem: 0xfffee00d,
  SequenceDelimitationItem: 0xfffee0dd,
} as const;

const keywords = new Map<number, string>(Object.entries(Tag).map(([keyword, tag]) => [tag, keyword]));

/** "(0028,0010)" */
export function tagString(tag: number): string {
  const hex = (tag >>> 0).toString(16).padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** "Rows (0028,0010)", or just "(0011,0010)" for a tag this adapter has no keyword for. */
export function describeTag(tag: number): string {
  const keyword = keywords.get(tag);
  return keyword ? `${keyword} ${tagString(tag)}` : tagString(tag);
}

/**
 * Sequences this adapter looks inside. In implicit VR a defined-length element carries no VR, so these
 * are the ones parsed as items; any other defined-length element is skipped as opaque bytes.
 */
export const sequenceTags: ReadonlySet<number> = new Set([
  Tag.ModalityLUTSequence,
  Tag.VOILUTSequence,
  Tag.SharedFunctionalGroupsSequence,
  Tag.PerFrameFunctionalGroupsSequence,
  Tag.PixelMeasuresSequence,
  Tag.FrameVOILUTSequence,
  Tag.PixelValueTransformationSequence,
  Tag.PlanePositionSequence,
  Tag.PlaneOrientationSequence,
]);
