import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chainHash, GENESIS } from './chain-hash.js';
import { keyId, verifyCheckpoint, type CheckpointReason } from './checkpoint.js';

export interface AuditProblem {
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly reason: string;
}

export interface AuditVerification {
  /** No problem found (notes may still say what could not be checked). */
  readonly ok: boolean;
  readonly lines: number;
  readonly files: number;
  readonly checkpoints: number;
  /** Whether checkpoint signatures were checked (a key was given). */
  readonly signaturesChecked: boolean;
  readonly problems: AuditProblem[];
  /** What the result does not prove (no key, a log still being written). */
  readonly notes: string[];
}

export interface VerifyOptions {
  /** The server's audit public key: checkpoint signatures are checked and an unsigned tail is a problem. */
  readonly key?: KeyObject | undefined;
  /** The log belongs to a running server: an unsigned tail is expected and only noted. */
  readonly open?: boolean | undefined;
}

interface Position { file: string; line: number }

/**
 * Checks one log given as its segments in chain order. Every line: valid JSON, seq one more than the
 * line before, prev equal to the hash of the line before (across files too), hash equal to the hash of
 * its content. Every checkpoint: its signature under the key. Then the end: a cleanly closed log ends
 * with a 'shutdown' checkpoint; entries after the last checkpoint are covered by no signature ("unsigned
 * tail": appended by someone else, or the log was cut and the checkpoint went with the cut).
 */
export function verifyAuditFiles(files: readonly string[], options: VerifyOptions = {}): AuditVerification {
  const problems: AuditProblem[] = [];
  const notes: string[] = [];
  const id = options.key ? keyId(options.key) : undefined;
  let prev = GENESIS;
  let expectedSeq = 1;
  let lines = 0;
  let checkpoints = 0;
  let unsigned: Position[] = [];
  let lastCheckpoint: { at: Position; reason: CheckpointReason } | undefined;
  let last: Position | undefined;
  let previousFile: string | undefined;

  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const rows = text.split('\n');
    const torn = rows.pop();
    rows.forEach((row, i) => {
      const at = { file, line: i + 1 };
      const problem = (reason: string) => problems.push({ ...at, reason });
      lines += 1;
      last = at;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(row) as Record<string, unknown>;
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error('not an object');
      } catch {
        problem(row.length === 0 ? 'empty line' : 'not a JSON object');
        return;
      }
      const { hash, ...body } = entry;
      const first = i === 0 && previousFile !== undefined;
      const reasons: string[] = [];
      if (body.seq !== expectedSeq) {
        const gap = typeof body.seq === 'number' && body.seq > expectedSeq ? ` (${body.seq - expectedSeq} line(s) missing before it)` : '';
        reasons.push(`seq is ${String(body.seq)}, expected ${expectedSeq}${gap}`);
      }
      if (body.prev !== prev) {
        reasons.push(first
          ? `prev does not match the last hash of ${previousFile}: the segments are not consecutive (one is missing, out of order, or was cut)`
          : expectedSeq === 1 && body.seq !== 1
            ? 'prev is not the genesis hash: the lines before it are missing (give every segment, oldest first)'
            : 'prev does not match the hash of the line before (a line was removed, reordered or edited)');
      }
      if (chainHash(body.prev as string, body) !== hash) reasons.push('hash does not match the line content (the line was edited)');
      if (reasons.length) problem(reasons.join('; '));
      prev = typeof hash === 'string' ? hash : prev;
      expectedSeq = typeof body.seq === 'number' ? body.seq + 1 : expectedSeq + 1;

      if (body.action !== 'checkpoint') {
        unsigned.push(at);
        return;
      }
      checkpoints += 1;
      lastCheckpoint = { at, reason: body.reason as CheckpointReason };
      if (options.key) {
        const fields = { seq: body.seq as number, time: body.time as string, reason: body.reason as CheckpointReason, prev: body.prev as string, key_id: body.key_id as string };
        if (body.key_id !== id) problem(`checkpoint signed by key ${String(body.key_id)}, not by the given key ${id}`);
        else if (typeof body.signature !== 'string' || !verifyCheckpoint(fields, body.signature, options.key)) {
          problem('checkpoint signature does not verify: the lines up to here were re-chained, or the checkpoint is forged');
        }
      }
      unsigned = [];
    });
    if (torn !== undefined && torn.length > 0) {
      problems.push({ file, line: rows.length + 1, reason: 'the last line has no newline: a torn write (the server sets it aside when it starts) or a cut' });
    }
    previousFile = file;
  }

  if (!options.key) {
    notes.push('signatures were not checked (no --key): truncation, forged appends and re-chaining cannot be seen');
  } else {
    const tail: string[] = [];
    if (unsigned.length > 0) {
      const from = unsigned[0]!;
      const to = unsigned.at(-1)!;
      tail.push(`unsigned tail of ${unsigned.length} entr${unsigned.length === 1 ? 'y' : 'ies'} (${from.file} lines ${from.line}-${to.line}) after ${lastCheckpoint ? `the last checkpoint (${lastCheckpoint.at.file} line ${lastCheckpoint.at.line})` : 'no checkpoint at all'}: covered by no signature, so appended after the log was signed, or the log was cut and its closing checkpoint with it`);
      if (!options.open) problems.push({ ...from, reason: tail[0]! });
    } else if (lastCheckpoint && lastCheckpoint.reason !== 'shutdown' && last) {
      tail.push(`the log ends at a${lastCheckpoint.reason === 'interval' ? 'n interval' : ` ${lastCheckpoint.reason}`} checkpoint, not a shutdown one: lines after it may have been cut (or the server is running or was killed)`);
      if (!options.open) problems.push({ ...lastCheckpoint.at, reason: tail[0]! });
    } else if (lines === 0) {
      // The server writes at least a shutdown checkpoint into every file it creates: empty means cut.
      tail.push('the log is empty: a log the server wrote holds at least its shutdown checkpoint, so this one was cut to nothing');
      if (!options.open) problems.push({ file: files[0] ?? '-', line: 1, reason: tail[0]! });
    }
    if (options.open) notes.push(...tail.map((t) => `${t} (expected while the server runs: --open)`));
  }
  return { ok: problems.length === 0, lines, files: files.length, checkpoints, signaturesChecked: options.key !== undefined, problems, notes };
}
