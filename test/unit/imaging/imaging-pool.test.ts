import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { imageSpecSchema } from '../../../adapters/imaging/image-spec.js';
import { ClinferError } from '../../../runtime/errors/index.js';
import { ImagingPool } from '../../../runtime/imaging/imaging-pool.js';
import type { PrepareTask } from '../../../runtime/imaging/prepare-image.js';

/**
 * A full imaging queue is QUEUE_FULL (429 with Retry-After), recognised by piscina's own error: this
 * fills a real pool's queue, so a piscina release that changes that error fails here.
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

describe('a full imaging queue over HTTP', () => {
  it('answers 429 QUEUE_FULL with Retry-After, never 500', async () => {
    const { startTestServer, DEMO_MODELS } = await import('../../helpers/server.js');
    const server = await startTestServer(DEMO_MODELS, { imagingThreads: 1, maxQueueSize: 1 });
    try {
      const big = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 90, g: 90, b: 90 } } }).png().toBuffer();
      const answers = await Promise.all(Array.from({ length: 16 }, () => fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: big, headers: { 'content-type': 'image/png' } })
        .then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as { code?: string; error?: string } }))));
      expect(answers.filter((a) => a.status !== 200 && a.status !== 429)).toEqual([]);
      const decodeQueueFull = answers.filter((a) => a.status === 429 && /decoded/.test(a.body.error ?? ''));
      expect(decodeQueueFull.length).toBeGreaterThan(0);
      for (const a of decodeQueueFull) expect(a).toMatchObject({ retryAfter: '1', body: { code: 'QUEUE_FULL' } });
    } finally {
      await server.close();
    }
  });
});
