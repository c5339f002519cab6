import { createHash } from 'node:crypto';
import { ERROR_CODES, hasListedCode, isErrorCode, type ErrorKind } from '../errors/index.js';

/** Why processing an instance failed, and whether trying again later can help. */
export interface ProcessingFailure {
  readonly code: string;
  readonly message: string;
  /** true: retried with back-off (the instance stays in the inbox); false: it goes to dead-letter/. */
  readonly transient: boolean;
}

/** Kinds of clinfer errors that go away by themselves: a model loading, a full queue, a dead worker, a restart. */
const TRANSIENT_KINDS: ReadonlySet<ErrorKind> = new Set(['unavailable', 'resource_exhausted', 'deadline_exceeded', 'cancelled', 'not_found', 'internal']);

/**
 * Sorts a processing error into transient (retry: MODEL_NOT_READY, QUEUE_FULL, WORKER_EXITED,
 * EXECUTION_TIMEOUT, a model not deployed yet, anything unexpected) and permanent (dead-letter: the file is
 * invalid, has no pixels, an unsupported transfer syntax, is out of the model's scope, or its result cannot be
 * written). Decided by the error's class and stable code, never by its message.
 */
export function classifyFailure(error: unknown): ProcessingFailure {
  const message = error instanceof Error ? error.message.slice(0, 300) : 'unknown error';
  if (hasListedCode(error)) return { code: error.code, message, transient: TRANSIENT_KINDS.has(ERROR_CODES[error.code].kind) };
  // Another error that carries a listed code in its `code` property.
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && isErrorCode(code)) return { code, message, transient: TRANSIENT_KINDS.has(ERROR_CODES[code].kind) };
  return { code: 'INTERNAL', message, transient: true };
}

/** A study's name in logs, dead-letter reasons and the CLI: a SHA-256 prefix of its Study Instance UID. */
export function studyHash(studyInstanceUID: string | undefined): string | undefined {
  return studyInstanceUID ? createHash('sha256').update(studyInstanceUID).digest('hex').slice(0, 16) : undefined;
}
