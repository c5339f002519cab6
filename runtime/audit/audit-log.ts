import { ClinferError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { AccessDeniedLimiter, type Suppressed } from './access-denied-limiter.js';
import type { AuditSecret } from './audit-secret.js';
import { capText, type AccessDenied, type AuditRecord } from './audit-record.js';
import { chainHash, GENESIS } from './chain-hash.js';
import type { AuditSigner, CheckpointReason } from './checkpoint.js';
import { readChainHead } from './chain-head.js';
import { SegmentWriter } from './segment-writer.js';
import { checkpointMessage, SyslogSender, type SyslogTarget } from './syslog-sender.js';

/** The record callers pass (kept under its former name for the routes that import it). */
export type AuditEntry = AuditRecord;

export interface AuditLogOptions {
  /** The live file; rotated segments are renamed beside it (segment-files.ts). */
  readonly path: string;
  readonly secret: AuditSecret;
  /** Signs checkpoints; without it the log is hash-chained only (truncation and re-chaining go unseen). */
  readonly signer?: AuditSigner | undefined;
  readonly checkpointEvery: number;
  readonly rotateBytes?: number | undefined;
  readonly rotateSeconds?: number | undefined;
  /** refuse: a record that cannot be written throws AUDIT_UNAVAILABLE (the request is refused); serve: logged. */
  readonly failurePolicy: 'refuse' | 'serve';
  readonly accessDeniedPerMinute: number;
  readonly syslog?: SyslogTarget | undefined;
  readonly log: Logger;
  readonly now?: () => number;
}

/**
 * Append-only JSON lines, tamper-evident: each line carries `seq`, `prev` (the hash of the line before)
 * and its own `hash`; every `checkpointEvery` entries, at rotation and at close, a checkpoint line carries
 * an Ed25519 signature over its seq and the chain head, so cutting, re-chaining or extending the log is
 * seen by `clinfer audit verify --key`. Lines are written synchronously, in order, before the answer they
 * record is sent. On start the chain continues from the last whole line (a torn one is set aside).
 */
export class AuditLog {
  readonly #o: AuditLogOptions;
  readonly #now: () => number;
  readonly #limiter: AccessDeniedLimiter;
  readonly #syslog: SyslogSender | undefined;
  readonly #flushTimer: NodeJS.Timeout;
  readonly #file: SegmentWriter;
  #prev = GENESIS;
  #seq = 0;
  #sinceCheckpoint = 0;
  #lastFailureLog = 0;
  #closed = false;

  constructor(options: AuditLogOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#limiter = new AccessDeniedLimiter(options.accessDeniedPerMinute);
    this.#syslog = options.syslog ? new SyslogSender(options.syslog, (e) => options.log.warn('audit checkpoint not sent to syslog', { reason: e.message.slice(0, 200) })) : undefined;
    this.#file = new SegmentWriter(options.path, this.#now);
    const head = readChainHead(options.path, options.log);
    if (head.corrupt) {
      // Not a line this log wrote: keep the file as a segment and start a new chain, rather than refuse to start.
      options.log.error('the last line of the audit log is not an audit entry; the file is kept as a segment and a new chain starts', {});
      this.#rotate();
    } else if (options.signer && !head.closedCleanly) {
      options.log.warn('the audit log does not end with a shutdown checkpoint: the previous run did not close it (crash or kill)', { seq: head.seq });
    }
    this.#prev = head.prev;
    this.#seq = head.seq;
    this.#flushTimer = setInterval(() => {
      try {
        this.#writeSummaries(this.#limiter.flush(this.#now()));
      } catch {
        // logged by #write; the counts are lost with the failed write, as the denials they sum up would be
      }
    }, 60_000);
    this.#flushTimer.unref();
  }

  /** Writes one record; throws AUDIT_UNAVAILABLE when it cannot be written and the policy is 'refuse'. */
  append(record: AuditRecord): void {
    if (this.#closed) throw new ClinferError('AUDIT_UNAVAILABLE', 'the audit log is closed');
    this.#maybeRotate();
    const { secret, detail, ...plain } = record;
    const line: Record<string, unknown> = { ...plain, caller: capText(plain.caller) };
    if (plain.model !== undefined) line.model = capText(plain.model);
    if (plain.version !== undefined) line.version = capText(plain.version);
    if (detail) Object.assign(line, detail);
    if (secret?.requestId !== undefined) line.request_id_hmac = this.#o.secret.hmac(secret.requestId);
    if (secret?.input !== undefined) line.input_hmac = this.#o.secret.hmac(secret.input);
    if (secret?.uids?.length) line.uid_hmacs = secret.uids.map((u) => this.#o.secret.hmac(u));
    if (!this.#write(line)) return;
    this.#sinceCheckpoint += 1;
    if (this.#sinceCheckpoint >= this.#o.checkpointEvery) this.#checkpoint('interval');
  }

  /** For events no request waits on (a shadow comparison, a C-STORE association): false when not written. */
  tryAppend(record: AuditRecord): boolean {
    try {
      this.append(record);
      return true;
    } catch {
      return false; // #write has logged why
    }
  }

  /**
   * A refused authentication or authorisation. Never throws (the caller is refused anyway); at most
   * `accessDeniedPerMinute` entries per source and minute, the rest summed up in one
   * 'access_denied_suppressed' entry per source and minute.
   */
  recordAccessDenied(event: AccessDenied): void {
    try {
      const source = capText(event.source || 'unknown');
      const { write, summaries } = this.#limiter.admit(source, this.#now());
      this.#writeSummaries(summaries);
      if (!write) return;
      this.append({
        action: 'access_denied', caller: event.caller ?? 'unauthenticated', outcome: capText(event.code), source, status: event.status,
        transport: event.transport ?? 'http', detail: { method: capText(event.method), route: capText(event.route) },
      });
    } catch {
      // Written nowhere: #write has already logged why.
    }
  }

  /** HMAC of a value under the audit secret, as written for inputs and ids (for callers that compare). */
  pseudonym(value: Uint8Array | string): string {
    return this.#o.secret.hmac(value);
  }

  /** Writes the summaries of suppressed denials and a shutdown checkpoint, and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#flushTimer);
    try {
      this.#writeSummaries(this.#limiter.flush(this.#now(), true));
    } catch {
      // logged by #write
    }
    this.#checkpoint('shutdown');
    this.#closed = true;
    this.#file.close();
    await this.#syslog?.close();
  }

  #writeSummaries(summaries: Suppressed[]): void {
    for (const s of summaries) {
      this.append({
        action: 'access_denied_suppressed', caller: 'clinfer', outcome: 'suppressed', source: s.source,
        detail: { suppressed: s.suppressed, since: new Date(s.since).toISOString(), until: new Date(s.until).toISOString() },
      });
    }
  }

  #checkpoint(reason: CheckpointReason): void {
    const signer = this.#o.signer;
    if (!signer) return;
    const fields = { seq: this.#seq + 1, time: new Date(this.#now()).toISOString(), reason, prev: this.#prev, key_id: signer.keyId };
    const signature = signer.sign(fields);
    try {
      if (!this.#write({ action: 'checkpoint', reason, key_id: signer.keyId, signature }, fields.time)) return;
    } catch {
      return; // the entry it covers is written; the next append tries again
    }
    this.#sinceCheckpoint = 0;
    this.#syslog?.send(checkpointMessage({ ...fields, signature }));
  }

  /** One line at the end of the file; false (or AUDIT_UNAVAILABLE) when it could not be written. */
  #write(fields: Record<string, unknown>, time = new Date(this.#now()).toISOString()): boolean {
    const body = { seq: this.#seq + 1, time, ...stripUndefined(fields), prev: this.#prev };
    const hash = chainHash(this.#prev, body);
    try {
      this.#file.append(Buffer.from(JSON.stringify({ ...body, hash }) + '\n'));
    } catch (error) {
      return this.#failed(error);
    }
    this.#prev = hash;
    this.#seq += 1;
    return true;
  }

  #failed(error: unknown): false {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    const now = this.#now();
    if (now - this.#lastFailureLog > 10_000) {
      this.#lastFailureLog = now;
      this.#o.log.error('the audit log cannot be written', { code, policy: this.#o.failurePolicy });
    }
    if (this.#o.failurePolicy === 'refuse') {
      throw new ClinferError('AUDIT_UNAVAILABLE', `the audit log cannot be written (${code}); the request was refused rather than answered unaudited`, { cause: error });
    }
    return false;
  }

  #maybeRotate(): void {
    const { rotateBytes, rotateSeconds } = this.#o;
    if (!this.#file.isOpen || this.#seq === 0) return;
    const bySize = rotateBytes !== undefined && this.#file.size >= rotateBytes;
    const byAge = rotateSeconds !== undefined && this.#file.ageMs >= rotateSeconds * 1000;
    if (!bySize && !byAge) return;
    this.#checkpoint('rotate');
    this.#rotate();
  }

  #rotate(): void {
    try {
      this.#file.rotate();
    } catch (error) {
      this.#o.log.error('the audit log could not be rotated; writing on in the same file', { code: (error as NodeJS.ErrnoException).code ?? 'unknown' });
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
