/**
 * Where results (SR, SEG) go: a PACS reached by STOW-RS or by C-STORE; or where RiskAssessments go: the EHR's
 * FHIR server (fhir-destination.ts). The delivery queue only sees this interface; create-destination.ts picks
 * the PACS implementations from the configuration.
 */
export interface Destination {
  readonly name: string;
  readonly kind: 'stowrs' | 'cstore' | 'fhir';
  /**
   * Sends Part 10 instances. Resolves with one outcome per instance, in order, once the peer has answered
   * for them (some may have failed). Rejects with a PacsError when the exchange as a whole failed
   * (unreachable, rejected, timed out, HTTP error): then nothing may be assumed stored.
   */
  send(instances: readonly Uint8Array[]): Promise<SendReport>;
}

export interface InstanceOutcome {
  /** Position in the array given to send(). */
  readonly index: number;
  /** The instance's SOP Instance UID; empty for a FHIR resource. */
  readonly sopInstanceUid: string;
  readonly ok: boolean;
  /** DIMSE status, or STOW-RS FailureReason / WarningReason, when the peer gave one. */
  readonly status?: number;
  /** Why it failed, in words without patient data. */
  readonly reason?: string;
}

export interface SendReport {
  readonly outcomes: readonly InstanceOutcome[];
}

export function allStored(report: SendReport): boolean {
  return report.outcomes.every((o) => o.ok);
}

/** Settings of one destination, as the server configuration gives them (already validated and filled). */
export type DestinationConfig = StowRsDestinationConfig | CStoreDestinationConfig;

export interface StowRsDestinationConfig {
  readonly name: string;
  readonly kind: 'stowrs';
  /** DICOMweb service root, e.g. https://pacs.example/dicom-web; instances are POSTed to {url}/studies. */
  readonly url: string;
  /** Extra request headers, e.g. { Authorization: 'Bearer ...' }. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export interface CStoreDestinationConfig {
  readonly name: string;
  readonly kind: 'cstore';
  readonly host: string;
  readonly port: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly timeoutMs: number;
  /** DICOM TLS: set, the association runs over TLS and the peer's certificate must chain to this CA (PEM). */
  readonly tlsCaFile?: string | undefined;
  /** Our client certificate and key (PEM), for a peer that requires one; only with tlsCaFile. */
  readonly tlsCertFile?: string | undefined;
  readonly tlsKeyFile?: string | undefined;
}
