import type { Logger } from '../log/logger.js';
import { GENESIS } from './chain-hash.js';
import { recoverTail, rotatedSegments, segmentName } from './segment-files.js';

export interface ChainHead {
  /** Hash of the last whole line (GENESIS for a new log). */
  readonly prev: string;
  readonly seq: number;
  /** The last line is a shutdown checkpoint (or there is no line). */
  readonly closedCleanly: boolean;
  /** The last whole line is not an audit line: the file must be set aside and a new chain started. */
  readonly corrupt: boolean;
}

/**
 * Where the chain of the log at `path` stands, after repairing a torn last line (recoverTail). A live
 * file that is not there yet after a rotation continues the last rotated segment's chain. Never throws:
 * a log that cannot be read starts a new chain, with an error logged.
 */
export function readChainHead(path: string, log: Logger): ChainHead {
  const fresh = { prev: GENESIS, seq: 0, closedCleanly: true, corrupt: false };
  let last: string | undefined;
  try {
    const tail = recoverTail(path);
    if (tail.tornBytes > 0) {
      log.warn('the audit log ended in a torn line (the process stopped mid-write): it was cut off and kept in the .torn file beside the log; the chain continues from the last whole line', { tornBytes: tail.tornBytes });
    }
    last = tail.lastLine;
    const n = last === undefined ? rotatedSegments(path).at(-1) : undefined;
    if (n !== undefined) last = recoverTail(segmentName(path, n)).lastLine;
  } catch (error) {
    log.error('the audit log could not be read to continue its chain; a new chain starts', { code: (error as NodeJS.ErrnoException).code ?? 'unknown' });
    return fresh;
  }
  if (last === undefined) return fresh;
  try {
    const parsed = JSON.parse(last) as { hash?: unknown; seq?: unknown; action?: unknown; reason?: unknown };
    if (typeof parsed.hash !== 'string' || typeof parsed.seq !== 'number') throw new Error('no hash or seq');
    return { prev: parsed.hash, seq: parsed.seq, closedCleanly: parsed.action === 'checkpoint' && parsed.reason === 'shutdown', corrupt: false };
  } catch {
    return { ...fresh, closedCleanly: false, corrupt: true };
  }
}
