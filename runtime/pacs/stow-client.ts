import { createLogger, type Logger } from '../log/logger.js';
import type { SendReport } from './destination.js';
import { PacsError, failureCode } from './pacs-error.js';
import { readPart10 } from './part10.js';
import { multipartRelated } from './stow-multipart.js';
import { parseStowResponse, stowOutcomes, type StowResponse } from './stow-response.js';

export interface StowRsOptions {
  /** DICOMweb service root (e.g. http://pacs/dicom-web); the request goes to {baseUrl}/studies. */
  readonly baseUrl: string;
  /** Extra headers, e.g. Authorization. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly log?: Logger;
}

/**
 * STOW-RS (PS3.18 10.5): POSTs Part 10 instances in one multipart/related request and reads the DICOM JSON
 * answer. 200, 202 and 409 resolve with per-instance outcomes; any other status, a network failure or the
 * timeout rejects with a PacsError, and then nothing may be assumed stored.
 */
export async function sendStowRs(instances: readonly Uint8Array[], options: StowRsOptions): Promise<SendReport> {
  const log = options.log ?? createLogger('silent');
  const sopInstanceUids = instances.map((bytes) => readPart10(bytes).sopInstanceUid);
  if (instances.length === 0) return { outcomes: [] };
  const url = `${options.baseUrl.replace(/\/+$/, '')}/studies`;
  const { contentType, body } = multipartRelated(instances);

  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-type': contentType, accept: 'application/dicom+json' },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new PacsError('PACS_TIMEOUT', `STOW-RS to ${originOf(url)} did not answer within ${options.timeoutMs} ms`, { cause: error });
    }
    throw new PacsError('PACS_NETWORK', `STOW-RS to ${originOf(url)} failed: ${failureCode((error as Error).cause ?? error)}`, { cause: error });
  }

  if (response.status !== 200 && response.status !== 202 && response.status !== 409) {
    throw new PacsError('PACS_STOW_HTTP', `STOW-RS to ${originOf(url)} answered HTTP ${response.status}`);
  }
  const parsed = parseBody(response.status, text);
  const outcomes = stowOutcomes(response.status, parsed, sopInstanceUids);
  log.info('pacs.stow.sent', { origin: originOf(url), status: response.status, instances: instances.length, stored: outcomes.filter((o) => o.ok).length });
  return { outcomes };
}

/**
 * An empty or unreadable body still means "all stored" with 200 and "none stored" with 409; with 202 (some
 * failed) we cannot tell which, so that is an error.
 */
function parseBody(status: number, text: string): StowResponse | undefined {
  if (text.trim() === '') return undefined;
  try {
    return parseStowResponse(JSON.parse(text));
  } catch (error) {
    if (status === 202) {
      throw error instanceof PacsError ? error : new PacsError('PACS_STOW_RESPONSE_INVALID', 'the STOW-RS response body is not JSON', { cause: error });
    }
    return undefined;
  }
}

/** Logs and messages name the server, never the path or query (which could carry tokens). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the STOW-RS server';
  }
}
