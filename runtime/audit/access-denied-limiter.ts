/** Sources tracked at once; past this, new sources share one bucket ('*') so memory stays bounded. */
const MAX_SOURCES = 10_000;
const WINDOW_MS = 60_000;

interface Bucket { windowStart: number; written: number; suppressed: number; suppressedSince: number }

export interface Suppressed { readonly source: string; readonly suppressed: number; readonly since: number; readonly until: number }

/**
 * Per-source budget of access-denied entries: at most `perMinute` entries per source and minute are
 * written; the rest are counted and written as one 'access_denied_suppressed' entry per source when its
 * minute is over. So a flood of 401s costs a few lines a minute, not a line each, and is still on record.
 */
export class AccessDeniedLimiter {
  readonly #perMinute: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(perMinute: number) {
    this.#perMinute = perMinute;
  }

  /** Whether this denial gets its own entry; summaries of minutes that ended come back to be written first. */
  admit(source: string, now: number): { write: boolean; source: string; summaries: Suppressed[] } {
    const summaries = this.flush(now);
    const key = this.#buckets.has(source) || this.#buckets.size < MAX_SOURCES ? source : '*';
    let bucket = this.#buckets.get(key);
    if (!bucket) this.#buckets.set(key, (bucket = { windowStart: now, written: 0, suppressed: 0, suppressedSince: 0 }));
    if (bucket.written < this.#perMinute) {
      bucket.written += 1;
      return { write: true, source: key, summaries };
    }
    if (bucket.suppressed === 0) bucket.suppressedSince = now;
    bucket.suppressed += 1;
    return { write: false, source: key, summaries };
  }

  /** Ends the minutes that are over (or all, with `all`): their suppressed counts, and forgets quiet sources. */
  flush(now: number, all = false): Suppressed[] {
    const out: Suppressed[] = [];
    for (const [source, b] of this.#buckets) {
      if (!all && now - b.windowStart < WINDOW_MS) continue;
      if (b.suppressed > 0) out.push({ source, suppressed: b.suppressed, since: b.suppressedSince, until: now });
      this.#buckets.delete(source);
    }
    return out;
  }
}
