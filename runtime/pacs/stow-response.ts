import type { InstanceOutcome } from './destination.js';
import { PacsError } from './pacs-error.js';

/** The Store Instances Response Module (PS3.18 10.5.3, PS3.4 Table CC.2.3-2), read from DICOM JSON. */
export interface StowResponse {
  /** ReferencedSOPSequence (0008,1199): stored; WarningReason (0008,1196) when given. */
  readonly referenced: ReadonlyMap<string, { readonly warningReason?: number }>;
  /** FailedSOPSequence (0008,1198): not stored; FailureReason (0008,1197) when given. */
  readonly failed: ReadonlyMap<string, { readonly failureReason?: number }>;
}

const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_SEQUENCE = '00081199';
const REFERENCED_SOP_INSTANCE_UID = '00081155';
const FAILURE_REASON = '00081197';
const WARNING_REASON = '00081196';

type JsonDataset = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

/** Reads a DICOM JSON response body (an object, or an array holding one, as some servers send). */
export function parseStowResponse(json: unknown): StowResponse {
  const dataset = Array.isArray(json) && json.length === 1 ? json[0] : json;
  if (typeof dataset !== 'object' || dataset === null || Array.isArray(dataset)) {
    throw new PacsError('PACS_STOW_RESPONSE_INVALID', 'the STOW-RS response is not a DICOM JSON data set');
  }
  const referenced = new Map<string, { warningReason?: number }>();
  for (const item of items(dataset as JsonDataset, REFERENCED_SOP_SEQUENCE)) {
    const warningReason = numberOf(item, WARNING_REASON);
    referenced.set(uidOf(item), warningReason === undefined ? {} : { warningReason });
  }
  const failed = new Map<string, { failureReason?: number }>();
  for (const item of items(dataset as JsonDataset, FAILED_SOP_SEQUENCE)) {
    const failureReason = numberOf(item, FAILURE_REASON);
    failed.set(uidOf(item), failureReason === undefined ? {} : { failureReason });
  }
  return { referenced, failed };
}

/**
 * One outcome per sent instance. An instance the response names is as it says. One it does not name is
 * stored only when the status was 200 (PS3.18: "all instances stored"); with 202 or 409 it counts as failed.
 */
export function stowOutcomes(httpStatus: number, response: StowResponse | undefined, sopInstanceUids: readonly string[]): InstanceOutcome[] {
  return sopInstanceUids.map((sopInstanceUid, index) => {
    const failed = response?.failed.get(sopInstanceUid);
    if (failed) {
      const reason = failed.failureReason === undefined ? 'listed as failed' : `failure reason 0x${hex(failed.failureReason)}`;
      return { index, sopInstanceUid, ok: false, ...(failed.failureReason === undefined ? {} : { status: failed.failureReason }), reason: `STOW-RS: ${reason}` };
    }
    const stored = response?.referenced.get(sopInstanceUid);
    if (stored) return { index, sopInstanceUid, ok: true, ...(stored.warningReason === undefined ? {} : { status: stored.warningReason }) };
    if (httpStatus === 200) return { index, sopInstanceUid, ok: true };
    return { index, sopInstanceUid, ok: false, reason: `STOW-RS: HTTP ${httpStatus} and the instance is not named in the response` };
  });
}

function items(dataset: JsonDataset, tag: string): JsonDataset[] {
  const element = dataset[tag];
  if (element === undefined || element.Value === undefined) return [];
  if (!Array.isArray(element.Value) || !element.Value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    throw new PacsError('PACS_STOW_RESPONSE_INVALID', `(${tag.slice(0, 4)},${tag.slice(4)}) is not a sequence of data sets`);
  }
  return element.Value as JsonDataset[];
}

function uidOf(item: JsonDataset): string {
  const value = item[REFERENCED_SOP_INSTANCE_UID]?.Value?.[0];
  if (typeof value !== 'string') throw new PacsError('PACS_STOW_RESPONSE_INVALID', 'a response item has no ReferencedSOPInstanceUID (0008,1155)');
  return value;
}

function numberOf(item: JsonDataset, tag: string): number | undefined {
  const value = item[tag]?.Value?.[0];
  return typeof value === 'number' ? value : undefined;
}

function hex(value: number): string {
  return value.toString(16).padStart(4, '0').toUpperCase();
}
