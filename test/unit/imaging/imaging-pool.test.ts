import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { imageSpecSchema } from '../../../adapters/imaging/image-spec.js';
import { ClinferError } from '../../../runtime/errors/index.js';
import { ImagingPool } from '../../../runtime/imaging/imaging-pool.js';
import type { PrepareTask } from '../../../runtime/imaging/prepare-image.js';

/**
 * A full imaging queue is QUEUE_FULL (429 with Retry-After, as every QUEUE_FULL: errors/http-status.ts),
 * recognised by piscina's own error: this fills a real pool's queue, so a piscina release that changes
 * that error fails here. (Filling it through HTTP proved timing-dependent: small images decode faster
 * than requests arrive.)
 */
const pool = new ImagingPool({ threads: 1, maxQueue: 1 });
afterAll(() => pool.close());

describe('ImagingPool', () => {
  it('answers QUEUE_FULL with a Retry-After once its queue is full, and serves the tasks it queued', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
    const task = (): PrepareTask => ({
      bytes: new Uint8Array(png), format: 'png',
      spec: imageSpecSchema.parse({ kind: 'image', input: 'x', color: 'grayscale', width: 32, height: 32 }),
      limits: { maxImagePixels: 1 << 20, maxFrames: 10, maxDecodedBytes: 1 << 24 },
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => pool.prepare(task())));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as unknown);
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) {
      expect(error).toBeInstanceOf(ClinferError);
      expect(error).toMatchObject({ code: 'QUEUE_FULL', retryAfterSeconds: 1 });
    }
    expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
  });
});
