import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageSpecSchema } from '../../adapters/imaging/image-spec.js';
import { rasterImage } from '../../adapters/imaging/raster.js';
import { imagesToTensor } from '../../adapters/imaging/to-tensor.js';
import { softmax } from '../../adapters/prediction/classify.js';
import type { ClinferServer } from '../../runtime/server.js';
import { readFileSync } from 'node:fs';
import { DEMO_MODELS, FIXTURES, startTestServer, TempRepository } from '../helpers/server.js';

/** /v1 predict with images: the server's answer equals ONNX Runtime on the bundle's own preprocessing. */
let server: ClinferServer;
let session: ort.InferenceSession;
const spec = imageSpecSchema.parse({ kind: 'image', input: 'image', color: 'grayscale', width: 28, height: 28, scale: 1 / 255, mean: [0.5], std: [0.5] });

/** A deterministic gray test pattern (a soft disc on a gradient), as 8-bit samples. */
function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const d = Math.hypot(x - size * (0.3 + 0.1 * seed), y - size / 2) / size;
    out[y * size + x] = Math.max(0, Math.min(255, Math.round(255 * (1 - d * 1.5) * ((x + seed * 7) % 5 === 0 ? 0.8 : 1))));
  }
  return out;
}
const png = (size: number, seed: number) => sharp(Buffer.from(pattern(size, seed)), { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();

async function expectedScores(size: number, seed: number): Promise<number[]> {
  const samples = pattern(size, seed);
  const tensor = imagesToTensor([rasterImage(size, size, 1, Float32Array.from(samples))], spec);
  const out = await session.run({ image: new ort.Tensor('float32', tensor.data, tensor.shape) });
  return softmax(out.logits!.data as Float32Array);
}

const predict = (body: Buffer | string, type: string, headers: Record<string, string> = {}, model = 'chest-xray-pneumonia') =>
  fetch(`${server.url}/v1/models/${model}/predict`, { method: 'POST', body, headers: { 'content-type': type, ...headers } });

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS);
  session = await ort.InferenceSession.create(join(DEMO_MODELS, 'chest-xray-pneumonia/1/model.onnx'));
});
afterAll(async () => {
  await server?.close();
  await session?.release();
});

describe('image predict', () => {
  it('answers a PNG with the label and scores ONNX Runtime gives on the same preprocessing', async () => {
    const res = await predict(await png(28, 1), 'image/png');
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ model_name: 'chest-xray-pneumonia', model_version: '1', language: 'en' });
    expect(body.predictions).toHaveLength(1);
    const [p] = body.predictions;
    const expected = await expectedScores(28, 1);
    p.scores.forEach((s: any, i: number) => expect(Math.abs(s.score - expected[i]!)).toBeLessThan(1e-6));
    expect(p.scores.map((s: any) => s.id)).toEqual(['normal', 'pneumonia']);
    expect(p.label.id).toBe(expected[1]! > expected[0]! ? 'pneumonia' : 'normal');
    expect(p.score).toBeCloseTo(Math.max(...expected), 6);
  });

  it('resizes a larger image by area averaging, and labels in the caller\'s language', async () => {
    const res = await predict(await png(112, 2), 'image/png', { 'accept-language': 'fr-CH, de;q=0.5' });
    const body = (await res.json()) as any;
    expect(body.language).toBe('fr');
    expect(body.predictions[0].scores.map((s: any) => s.text)).toEqual(['Pas de pneumonie', 'Pneumonie']);
    const expected = await expectedScores(112, 2);
    body.predictions[0].scores.forEach((s: any, i: number) => expect(Math.abs(s.score - expected[i]!)).toBeLessThan(1e-6));
  });

  it('reads each part of a multipart/related body, in order', async () => {
    const parts = [await png(28, 1), await png(28, 3)];
    const boundary = 'clinfer-test-boundary';
    const body = Buffer.concat([
      ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\nContent-Type: image/png\r\n\r\n`), p, Buffer.from('\r\n')]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const res = await predict(body, `multipart/related; type="image/png"; boundary=${boundary}`);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as any;
    expect(answer.predictions.map((p: any) => p.source.index)).toEqual([0, 1]);
    const second = await expectedScores(28, 3);
    expect(answer.predictions[1].scores[1].score).toBeCloseTo(second[1]!, 6);
  });

  it('reads JPEG, and RGB images are turned to gray as the bundle says', async () => {
    const rgb = await sharp(Buffer.from(Array.from({ length: 40 * 40 * 3 }, (_, i) => (i * 7) % 256)), { raw: { width: 40, height: 40, channels: 3 } }).jpeg().toBuffer();
    const res = await predict(rgb, 'image/jpeg');
    expect(res.status).toBe(200);
    const [p] = ((await res.json()) as any).predictions;
    expect(p.scores[0].score + p.scores[1].score).toBeCloseTo(1, 6);
  });

  it('refuses broken and mislabelled bodies with a precise 4xx', async () => {
    const good = await png(28, 1);
    const truncated = await predict(good.subarray(0, 60), 'image/png');
    expect(truncated.status).toBe(400);
    expect(await truncated.json()).toMatchObject({ code: 'INVALID_IMAGE', error: expect.stringMatching(/PNG/) });
    const mislabelled = await predict(good, 'image/jpeg');
    expect(mislabelled.status).toBe(400);
    expect(((await mislabelled.json()) as any).error).toMatch(/declared image\/jpeg but holds PNG data/);
    const notDicom = await predict(Buffer.alloc(300, 7), 'application/dicom');
    expect(await notDicom.json()).toMatchObject({ code: 'INVALID_DICOM', error: expect.stringMatching(/DICM/) });
    const tabular = await predict(good, 'image/png', {}, 'heart-disease-risk');
    expect(tabular.status).toBe(400);
    expect(((await tabular.json()) as any).code).toBe('NOT_AN_IMAGING_MODEL');
    const noBoundary = await predict(good, 'multipart/related; type="image/png"');
    expect(((await noBoundary.json()) as any).error).toMatch(/no boundary/);
    const gif = await predict(Buffer.from('GIF89a....'), 'image/gif');
    expect(gif.status).toBe(415);
  });

  it('refuses an image over the pixel limit before decoding it', async () => {
    const small = await startTestServer(DEMO_MODELS, { maxImagePixels: 1000 });
    try {
      const res = await fetch(`${small.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: await png(112, 1), headers: { 'content-type': 'image/png' } });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ code: 'IMAGE_TOO_LARGE', error: expect.stringMatching(/more than 1000 pixels/) });
    } finally {
      await small.close();
    }
  });

  it('answers each frame of a multi-frame DICOM when the bundle says frames: each', async () => {
    const bundle = JSON.parse(readFileSync(join(DEMO_MODELS, 'chest-xray-pneumonia/1/bundle.json'), 'utf8'));
    // The file is an RGB secondary capture, not a chest X-ray: these copies of the bundle declare no input_scope.
    const { input_scope: _scope, ...unscoped } = bundle;
    const repo = new TempRepository().add('xray-per-frame', '1', {
      'bundle.json': JSON.stringify({ ...unscoped, name: 'xray-per-frame', preprocessing: { ...bundle.preprocessing, frames: 'each' } }),
      'model.onnx': { copy: join(DEMO_MODELS, 'chest-xray-pneumonia/1/model.onnx') },
    }).add('xray-first-frame', '1', {
      'bundle.json': JSON.stringify({ ...unscoped, name: 'xray-first-frame' }),
      'model.onnx': { copy: join(DEMO_MODELS, 'chest-xray-pneumonia/1/model.onnx') },
    });
    const perFrame = await startTestServer(repo.root, { workers: 1 });
    try {
      const file = readFileSync(join(FIXTURES, 'dicom/pydicom/SC_rgb_rle_2frame.dcm'));
      const res = await fetch(`${perFrame.url}/v1/models/xray-per-frame/predict`, { method: 'POST', body: file, headers: { 'content-type': 'application/dicom' } });
      expect(res.status).toBe(200);
      const { predictions } = (await res.json()) as any;
      expect(predictions.map((p: any) => p.source.frame)).toEqual([1, 2]);
      expect(new Set(predictions.map((p: any) => p.source.sop_instance_uid)).size).toBe(1);
      // The same file through the first-frame bundle gives frame 1's answer.
      const first = (await (await fetch(`${perFrame.url}/v1/models/xray-first-frame/predict`, { method: 'POST', body: file, headers: { 'content-type': 'application/dicom' } })).json()) as any;
      expect(first.predictions).toHaveLength(1);
      expect(first.predictions[0].scores[1].score).toBeCloseTo(predictions[0].scores[1].score, 6);
    } finally {
      await perFrame.close();
      repo.remove();
    }
  });
});
