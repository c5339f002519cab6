/**
 * The model bundle that made a result, as every adapter names it in what it writes (a FHIR RiskAssessment,
 * a DICOM SR or SEG). Each output format adds what it needs on top (see RiskModelIdentity, DicomModelIdentity).
 */
export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** sha-256 hex of the exact bundle files that produced the result. */
  readonly digest?: string;
}
