import { sep } from 'node:path';
import { ClinferError, isClinferError } from '../errors/index.js';

/**
 * What the repository says (errors, UNAVAILABLE reasons, the index) names files relative to its root,
 * `heart-disease-risk/3/bundle.json`, never the server's absolute path: callers without the admin scope
 * read these messages too. `aliases` first rewrite other folders (a deploy's staging folder) to the names
 * the caller knows.
 */
export function relativeMessage(root: string, text: string, aliases: readonly (readonly [string, string])[] = []): string {
  let out = text;
  for (const [from, to] of aliases) out = out.split(from).join(to);
  return out.split(root.endsWith(sep) ? root : root + sep).join('');
}

/** The same error with its message made relative (ClinferErrors only; anything else passes unchanged). */
export function relativeError(root: string, error: unknown, aliases: readonly (readonly [string, string])[] = []): unknown {
  if (!isClinferError(error)) return error;
  const message = relativeMessage(root, error.message, aliases);
  return message === error.message ? error : new ClinferError(error.code, message, { cause: error.cause, ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}) });
}
