import { ClinferError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { AccessDeniedLimiter, type Suppressed } from './access-denied-limiter.js';
import type { AuditSecret } from './audit-secret.js';
import { capText, type AccessDenied, type AuditRecord } from './audit-record.js';
import { chainHashOfJson, GENESIS } from './chain-hash.js';
import type { AuditSigner, CheckpointReason } from './checkpoint.js';
import { readChainHead } from './chain-head.js';
import { InputDigests } from './input-digests.js';
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
 * seen by `clinfer audit verify --key`. `seq` and the chain hash are given synchronously, in the order of
 * the calls; the lines are written by group commit (segment-writer.ts: one durable write (O_DSYNC) per
 * batch, off the event loop), and `append` resolves once its line is durable, so a caller that awaits it
 * answers only what is on record. On start the chain continues from the last whole line (a torn one is
 * set aside).
 */
export class AuditLog {
  readonly #o: AuditLogOptions;
  readonly #now: () => number;
  readonly #limiter: AccessDeniedLimiter;
  readonly #syslog: SyslogSender | undefined;
  readonly #flushTimer: NodeJS.Timeout;
  readonly #file: SegmentWriter;
  readonly #digests: InputDigests;
  #prev = GENESIS;
  #seq = 0;
  /** The last line known durable: where the chain rewinds to when a batch cannot be written. */
  #durablePrev = GENESIS;
  #durableSeq = 0;
  #sinceCheckpoint = 0;
  #lastFailureLog = 0;
  #closed = false;

  constructor(options: AuditLogOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#limiter = new AccessDeniedLimiter(options.accessDeniedPerMinute);
    this.#digests = new InputDigests(options.secret);
    this.#syslog = options.syslog ? new SyslogSender(options.syslog, (e) => options.log.warn('audit checkpoint not sent to syslog', { reason: e.message.slice(0, 200) })) : undefined;
    this.#file = new SegmentWriter(options.path, this.#now, {
      durable: (seq, hash) => {
        this.#durableSeq = seq;
        this.#durablePrev = hash;
      },
      failed: (error) => {
        this.#prev = this.#durablePrev;
        this.#seq = this.#durableSeq;
        return this.#failed(error);
      },
    });
    const head = readChainHead(options.path, options.log);
    if (head.corrupt) {
      // Not a line this log wrote: keep the file as a segment and start a new chain, rather than refuse to start.
      options.log.error('the last line of the audit log is not an audit entry; the file is kept as a segment and a new chain starts', {});
      this.#rotate();
    } else if (options.signer && !head.closedCleanly) {
      options.log.warn('the audit log does not end with a shutdown checkpoint: the previous run did not close it (crash or kill)', { seq: head.seq });
    }
    this.#prev = this.#durablePrev = head.prev;
    this.#seq = this.#durableSeq = head.seq;
    // A failed write is logged by #failed; the counts are lost with it, as the denials they sum up would be.
    this.#flushTimer = setInterval(() => this.#writeSummaries(this.#limiter.flush(this.#now())), 60_000);
    this.#flushTimer.unref();
  }

  /**
   * Writes one record: resolves once the line is durable (on stable storage: segment-writer.ts); rejects with
   * AUDIT_UNAVAILABLE when it cannot be written and the policy is 'refuse' (resolves, logged, under 'serve').
   * The caller must await or handle it.
   */
  append(record: AuditRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new ClinferError('AUDIT_UNAVAILABLE', 'the audit log is closed'));
    this.#maybeRotate();
    // One object in a fixed key order, built once; JSON.stringify leaves out the fields that are undefined.
    const line: Record<string, unknown> = {
      seq: this.#seq + 1, time: new Date(this.#now()).toISOString(), action: record.action, caller: capText(record.caller),
      model: record.model === undefined ? undefined : capText(record.model), version: record.version === undefined ? undefined : capText(record.version),
      bundle_digest: record.bundle_digest, outcome: record.outcome, latency_ms: record.latency_ms, source: record.source,
      transport: record.transport, status: record.status,
    };
    if (record.detail) Object.assign(line, record.detail);
    const secret = record.secret;
    if (secret) {
      const key = this.#o.secret;
      if (secret.requestId !== undefined) line.request_id_hmac = key.hmac(secret.requestId);
      if (secret.inputHmac !== undefined) line.input_hmac = secret.inputHmac;
      else if (secret.input !== undefined) line.input_hmac = key.hmac(secret.input);
      if (secret.uids?.length) line.uid_hmacs = secret.uids.map((u) => key.hmac(u));
    }
    line.prev = this.#prev;
    const durable = this.#commit(line);
    this.#sinceCheckpoint += 1;
    if (this.#sinceCheckpoint >= this.#o.checkpointEvery) void this.#checkpoint('interval');
    return durable;
  }

  /** For events no request waits on (a shadow comparison, a C-STORE association): false when not written. */
  tryAppend(record: AuditRecord): Promise<boolean> {
    return this.append(record).then(() => true, () => false); // #failed has logged why
  }

  /**
   * A refused authentication or authorisation. Never throws (the caller is refused anyway); at most
   * `accessDeniedPerMinute` entries per source and minute, the rest summed up in one
   * 'access_denied_suppressed' entry per source and minute.
   */
  recordAccessDenied(event: AccessDenied): void {
    const source = capText(event.source || 'unknown');
    const { write, summaries } = this.#limiter.admit(source, this.#now());
    this.#writeSummaries(summaries);
    if (!write) return;
    // Not awaited: the caller is refused anyway. Written nowhere on failure: #failed has logged why.
    this.append({
      action: 'access_denied', caller: event.caller ?? 'unauthenticated', outcome: capText(event.code), source, status: event.status,
      transport: event.transport ?? 'http', detail: { method: capText(event.method), route: capText(event.route) },
    }).catch(() => undefined);
  }

  /** Resolves once every line appended before it is durable or has failed (for entries no one awaits). */
  settled(): Promise<void> {
    return this.#file.settled();
  }

  /**
   * input_hmac of a request's input, taken off the event loop when the input is large (input-digests.ts):
   * start it when the request arrives and pass the result as `secret.inputHmac`. Never rejects.
   */
  digestInput(input: Uint8Array | readonly Uint8Array[]): Promise<string> {
    return this.#digests.digest(input);
  }

  /** HMAC of a value under the audit secret, as written for inputs and ids (for callers that compare). */
  pseudonym(value: Uint8Array | string): string {
    return this.#o.secret.hmac(value);
  }

  /** Writes the summaries of suppressed denials and a shutdown checkpoint, and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#flushTimer);
    this.#writeSummaries(this.#limiter.flush(this.#now(), true));
    const shutdown = this.#checkpoint('shutdown');
    this.#closed = true;
    await shutdown;
    await this.#file.close().catch(() => undefined);
    await this.#syslog?.close();
    await this.#digests.close();
  }

  #writeSummaries(summaries: Suppressed[]): void {
    for (const s of summaries) {
      this.append({
        action: 'access_denied_suppressed', caller: 'clinfer', outcome: 'suppressed', source: s.source,
        detail: { suppressed: s.suppressed, since: new Date(s.since).toISOString(), until: new Date(s.until).toISOString() },
      }).catch(() => undefined); // #failed has logged why
    }
  }

  /** Queues a signed checkpoint; resolves once it is durable and sent to syslog, or could not be written. */
  async #checkpoint(reason: CheckpointReason): Promise<void> {
    const signer = this.#o.signer;
    if (!signer) return;
    const fields = { seq: this.#seq + 1, time: new Date(this.#now()).toISOString(), reason, prev: this.#prev, key_id: signer.keyId };
    const signature = signer.sign(fields);
    this.#sinceCheckpoint = 0;
    // Its batch settles as the policy says (#failed has logged a failure); whether the line is in the
    // file is read from the durable chain position, which only a written batch moves, right after it settles.
    await this.#commit({ seq: fields.seq, time: fields.time, action: 'checkpoint', reason, key_id: signer.keyId, signature, prev: fields.prev }).catch(() => undefined);
    if (this.#durableSeq < fields.seq) {
      this.#sinceCheckpoint = this.#o.checkpointEvery; // the entries it covers are written; the next append tries again
      return;
    }
    this.#syslog?.send(checkpointMessage({ ...fields, signature }));
  }

  /**
   * One line at the end of the file. `line` holds seq (this.#seq + 1) first and prev (this.#prev) last;
   * it is serialised once, and the chain hash is taken over that very text, so the line written is the
   * text hashed with `"hash"` added last. Seq and hash are given now, in call order. The promise is the
   * batch's the line joins (segment-writer.ts): it resolves once the line is durable; when the batch
   * cannot be written (the chain is rewound by then) it settles as auditFailurePolicy says (#failed).
   */
  #commit(line: Record<string, unknown>): Promise<void> {
    const json = JSON.stringify(line);
    const hash = chainHashOfJson(this.#prev, json);
    const seq = this.#seq + 1;
    this.#prev = hash;
    this.#seq = seq;
    return this.#file.append(`${json.slice(0, -1)},"hash":"${hash}"}\n`, seq, hash);
  }

  /** Logs a write failure (at most once per 10 s); the error the lines reject with under 'refuse', none under 'serve'. */
  #failed(error: unknown): ClinferError | undefined {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    const now = this.#now();
    if (now - this.#lastFailureLog > 10_000) {
      this.#lastFailureLog = now;
      this.#o.log.error('the audit log cannot be written', { code, policy: this.#o.failurePolicy });
    }
    if (this.#o.failurePolicy !== 'refuse') return undefined;
    return new ClinferError('AUDIT_UNAVAILABLE', `the audit log cannot be written (${code}); the request was refused rather than answered unaudited`, { cause: error });
  }

  #maybeRotate(): void {
    const { rotateBytes, rotateSeconds } = this.#o;
    if (!this.#file.isOpen || this.#seq === 0) return;
    const bySize = rotateBytes !== undefined && this.#file.size >= rotateBytes;
    const byAge = rotateSeconds !== undefined && this.#file.ageMs >= rotateSeconds * 1000;
    if (!bySize && !byAge) return;
    void this.#checkpoint('rotate');
    this.#rotate();
  }

  /** Queued after the lines before it; a failure is logged and the log goes on in the same file. */
  #rotate(): void {
    this.#file.rotate().catch((error: unknown) => {
      this.#o.log.error('the audit log could not be rotated; writing on in the same file', { code: (error as NodeJS.ErrnoException).code ?? 'unknown' });
    });
  }
}
