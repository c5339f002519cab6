import { ClinferError } from '../errors/index.js';

/**
 * Per-identity token bucket (requests per second with a burst) and concurrency cap. State is bounded:
 * idle buckets are forgotten. Throws QUEUE_FULL-style 429s with Retry-After.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxConcurrent: number;
  readonly #buckets = new Map<string, { tokens: number; at: number; active: number }>();

  constructor(options: { requestsPerSecond: number; burst: number; maxConcurrent: number }) {
    this.#rate = options.requestsPerSecond;
    this.#burst = options.burst;
    this.#maxConcurrent = options.maxConcurrent;
  }

  /** Admits one request of `identity`; the returned function must be called when it is answered. */
  admit(identity: string): () => void {
    const now = Date.now();
    if (this.#buckets.size > 10_000) this.#sweep(now);
    const bucket = this.#buckets.get(identity) ?? { tokens: this.#burst, at: now, active: 0 };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#rate);
    bucket.at = now;
    this.#buckets.set(identity, bucket);
    if (bucket.active >= this.#maxConcurrent) {
      throw new ClinferError('RATE_LIMITED', `caller '${identity}' already has ${bucket.active} requests in progress (limit ${this.#maxConcurrent})`, { retryAfterSeconds: 1 });
    }
    if (bucket.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / this.#rate));
      throw new ClinferError('RATE_LIMITED', `caller '${identity}' exceeds ${this.#rate} requests per second (burst ${this.#burst})`, { retryAfterSeconds: wait });
    }
    bucket.tokens -= 1;
    bucket.active += 1;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        bucket.active -= 1;
      }
    };
  }

  #sweep(now: number): void {
    for (const [name, b] of this.#buckets) if (b.active === 0 && now - b.at > 60_000) this.#buckets.delete(name);
  }
}
