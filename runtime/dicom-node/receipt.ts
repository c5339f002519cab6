import type { DicomInstanceInfo } from '../../adapters/imaging/dicom-info.js';
import { readDicomHeader, type DicomHeader } from '../../adapters/imaging/dicom/index.js';
import { isCodedError } from '../../adapters/coded-error.js';
import { ImagingInputError } from '../../adapters/imaging/raster.js';
import type { DicomRoute } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';
import { routesFor } from './routing.js';

/** What became of one received instance when it arrived (its processing comes later, once its study settles). */
export interface ReceiptOutcome {
  readonly sopClassUID: string | undefined;
  readonly sopInstanceUID: string | undefined;
  readonly studyInstanceUID: string | undefined;
  /** accepted: on disk in the inbox, to be processed with its study; unrouted: no rule matched; failed: see code. */
  readonly status: 'accepted' | 'unrouted' | 'failed';
  readonly code?: string | undefined;
  readonly message?: string | undefined;
}

export type Receipt =
  | { readonly outcome: ReceiptOutcome; readonly info?: undefined; readonly header?: undefined }
  | { readonly outcome: ReceiptOutcome & { status: 'accepted' }; readonly info: DicomInstanceInfo; readonly header: DicomHeader };

/**
 * Reads an arriving instance's header and decides whether it is taken: it must be DICOM with the UIDs a
 * result is filed with, belong to `study` when the sender named one (STOW-RS /studies/{uid}), and match a
 * routing rule. Pixel data is not decoded here: that happens when its study is processed.
 */
export function receiveInstance(bytes: Uint8Array, routes: readonly DicomRoute[], study?: string): Receipt {
  let header: DicomHeader;
  try {
    header = readDicomHeader(bytes);
  } catch (error) {
    return { outcome: refused(undefined, error) };
  }
  const { info } = header;
  const missing = (['studyInstanceUID', 'seriesInstanceUID', 'sopInstanceUID', 'sopClassUID'] as const).filter((k) => !info[k]);
  if (missing.length > 0) {
    return { outcome: refused(info, new ImagingInputError('INVALID_DICOM', `the instance has no ${missing.join(', ')}: a result could not be filed with it`)) };
  }
  if (study !== undefined && info.studyInstanceUID !== study) {
    return { outcome: refused(info, new ClinferError('INVALID_REQUEST', 'the instance belongs to another study than the one in the URL')) };
  }
  const ids = { sopClassUID: info.sopClassUID, sopInstanceUID: info.sopInstanceUID, studyInstanceUID: info.studyInstanceUID };
  if (routesFor(info, routes).length === 0) return { outcome: { ...ids, status: 'unrouted' } };
  // The header goes with the instance to its decode, which then does not parse the file again.
  return { outcome: { ...ids, status: 'accepted' }, info, header };
}

function refused(info: DicomInstanceInfo | undefined, error: unknown): ReceiptOutcome {
  // Input errors carry a stable code (a CodedError: ImagingInputError, ClinferError...); a bug does not.
  const code = isCodedError(error) ? error.code : (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !(error instanceof Error)) throw error;
  return {
    sopClassUID: info?.sopClassUID, sopInstanceUID: info?.sopInstanceUID, studyInstanceUID: info?.studyInstanceUID,
    status: 'failed', code, message: error.message,
  };
}
