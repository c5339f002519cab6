import type { ReceiptOutcome } from '../dicom-node/receipt.js';

/**
 * The STOW-RS answer (PS3.18 10.5.3): the Store Instances Response Module as DICOM JSON (PS3.18 F.2) and its
 * HTTP status, derived from the body so they can never disagree: 200 when every instance was stored without
 * a warning, 202 when some failed or any carries a Warning Reason (0008,1196), 409 when all failed.
 *
 * An instance no routing rule sends to a model is stored as far as the sender is concerned (clinfer takes
 * nothing further from it) and answered as a plain success: the Warning Reasons PS3.18 defines are B000
 * (coercion of data elements), B006 (elements discarded) and B007 (data set does not match the SOP class),
 * and none of them is true of it. It is counted in clinfer_dicom_instances_total{outcome="unrouted"}.
 */
export interface StoredOutcome extends ReceiptOutcome {
  /** PS3.18 Warning Reason, when clinfer changed what it stored (none does today). */
  readonly warningReason?: 0xb000 | 0xb006 | 0xb007;
}

export interface StoreAnswer {
  readonly status: 200 | 202 | 409;
  readonly body: Record<string, unknown>;
}

const uid = (value: string | undefined) => ({ vr: 'UI', ...(value ? { Value: [value] } : {}) });

export function storeAnswer(outcomes: readonly StoredOutcome[], study: string | undefined): StoreAnswer {
  const referenced = outcomes.filter((o) => o.status !== 'failed').map((o) => ({
    '00081150': uid(o.sopClassUID),
    '00081155': uid(o.sopInstanceUID),
    ...(o.warningReason !== undefined ? { '00081196': { vr: 'US', Value: [o.warningReason] } } : {}),
  }));
  const failed = outcomes.filter((o) => o.status === 'failed').map((o) => ({
    '00081150': uid(o.sopClassUID),
    '00081155': uid(o.sopInstanceUID),
    '00081197': { vr: 'US', Value: [failureReason(o.code)] },
  }));
  const warned = referenced.some((item) => '00081196' in item);
  const status = failed.length > 0 && referenced.length === 0 ? 409 : failed.length > 0 || warned ? 202 : 200;
  return {
    status,
    body: {
      ...(study ? { '0020000D': uid(study) } : {}),
      ...(referenced.length ? { '00081199': { vr: 'SQ', Value: referenced } } : {}),
      ...(failed.length ? { '00081198': { vr: 'SQ', Value: failed } } : {}),
    },
  };
}

/** PS3.4 / PS3.18 failure reasons: A7xx out of resources, A9xx does not match, C000 cannot understand, 0110 processing failure. */
export function failureReason(code: string | undefined): number {
  switch (code) {
    case 'IMAGE_TOO_LARGE':
    case 'QUEUE_FULL':
    case 'BODY_TOO_LARGE':
      return 0xa700;
    case 'INVALID_REQUEST':
      return 0xa900;
    case 'INVALID_DICOM':
    case 'NO_PIXEL_DATA':
    case 'UNSUPPORTED_TRANSFER_SYNTAX':
    case 'UNSUPPORTED_CHARACTER_SET':
    case 'INVALID_IMAGE':
      return 0xc000;
    default:
      return 0x0110;
  }
}
