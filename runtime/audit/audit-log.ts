import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

/** One line of the audit log. No patient data: the input is only a digest. */
export interface AuditEntry {
  readonly action: 'predict' | 'deploy' | 'delete' | 'rollback' | 'load' | 'unload' | 'shadow' | 'candidate';
  readonly caller: string;
  readonly model: string;
  readonly version: string;
  readonly bundle_digest?: string | undefined;
  readonly request_id?: string | undefined;
  /** sha256 of the request body as received (not the body). */
  readonly input_digest?: string | undefined;
  readonly outcome: string;
  readonly latency_ms?: number | undefined;
}

export const GENESIS = '0'.repeat(64);

/** sha256 over the previous line's hash and this line's content: editing any line breaks every later one. */
export function chainHash(prev: string, body: Record<string, unknown>): string {
  return createHash('sha256').update(prev).update('\n').update(JSON.stringify(body)).digest('hex');
}

/**
 * Append-only JSON lines, tamper-evident: each line carries `prev` (the hash of the line before) and its
 * own `hash`. Lines are written synchronously in order, so a line in the file is a line on disk (no
 * in-memory tail to lose in a crash); on start the chain continues from the file's last line.
 */
export class AuditLog {
  readonly #path: string;
  #prev: string;
  #seq: number;

  constructor(path: string) {
    this.#path = path;
    const last = lastLine(path);
    if (last) {
      const parsed = JSON.parse(last) as { hash: string; seq: number };
      this.#prev = parsed.hash;
      this.#seq = parsed.seq;
    } else {
      this.#prev = GENESIS;
      this.#seq = 0;
    }
  }

  append(entry: AuditEntry): void {
    const body = { seq: this.#seq + 1, time: new Date().toISOString(), ...stripUndefined(entry), prev: this.#prev };
    const hash = chainHash(this.#prev, body);
    appendFileSync(this.#path, JSON.stringify({ ...body, hash }) + '\n', { mode: 0o600 });
    this.#prev = hash;
    this.#seq += 1;
  }
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly lines: number;
  /** 1-based line number of the first line that does not chain, and why. */
  readonly brokenAt?: number;
  readonly reason?: string;
}

/** Recomputes the chain of an audit log file. */
export function verifyAuditLog(path: string): VerifyResult {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(lines[i]!) as Record<string, unknown>;
    } catch {
      return { ok: false, lines: lines.length, brokenAt: i + 1, reason: 'not valid JSON' };
    }
    const { hash, ...body } = entry;
    if (body.prev !== prev) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: 'prev does not match the hash of the line before (a line was removed, reordered or edited)' };
    if (body.seq !== i + 1) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: `seq is ${String(body.seq)}, expected ${i + 1}` };
    if (chainHash(prev, body) !== hash) return { ok: false, lines: lines.length, brokenAt: i + 1, reason: 'hash does not match the line content (the line was edited)' };
    prev = hash as string;
  }
  return { ok: true, lines: lines.length };
}

function lastLine(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n').filter((l) => l.length > 0);
    return lines.at(-1);
  } finally {
    closeSync(fd);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
