/**
 * What clinfer reads from a DICOM instance besides its pixels: enough to route it (modality, SOP class,
 * body part, series description), to decode it, and to reference it from a result (SR, SEG) filed under the
 * same patient and study. Patient fields are carried to the result object only; they never go to a log.
 */
export interface DicomInstanceInfo {
  readonly transferSyntaxUID: string;
  readonly sopClassUID: string;
  readonly sopInstanceUID: string;
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly modality: string | undefined;
  readonly bodyPartExamined: string | undefined;
  /** View Position (0018,5101), e.g. PA, AP, LL (projection radiography). */
  readonly viewPosition?: string | undefined;
  readonly seriesDescription: string | undefined;
  readonly seriesNumber: number | undefined;
  readonly instanceNumber: number | undefined;
  readonly patient: {
    readonly name: string | undefined;
    readonly id: string | undefined;
    readonly birthDate: string | undefined;
    readonly sex: string | undefined;
    /** Patient's Age (0010,1010), an AS value such as 004Y. */
    readonly age?: string | undefined;
  };
  readonly study: {
    readonly date: string | undefined;
    readonly time: string | undefined;
    readonly accessionNumber: string | undefined;
    readonly id: string | undefined;
    readonly referringPhysicianName: string | undefined;
  };
  /** Image geometry; absent for objects without pixel data. */
  readonly image: {
    readonly rows: number;
    readonly columns: number;
    readonly numberOfFrames: number;
    readonly samplesPerPixel: number;
    readonly photometricInterpretation: string;
    readonly bitsAllocated: number;
    readonly bitsStored: number;
    readonly pixelRepresentation: number;
    readonly frameOfReferenceUID: string | undefined;
    readonly pixelSpacing: readonly [number, number] | undefined;
    readonly sliceThickness: number | undefined;
    readonly imagePositionPatient: readonly [number, number, number] | undefined;
    readonly imageOrientationPatient: readonly [number, number, number, number, number, number] | undefined;
  } | undefined;
}
