import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { FIXTURES, startTestServer, TempRepository } from '../helpers/server.js';
import { runs } from './runs.js';

/**
 * Mutation fuzzing of the imaging edge over HTTP: DICOM, PNG and multipart bodies with flipped, cut and
 * inserted bytes, sent to /v1 predict and to STOW-RS. Never a 5xx, never a hang; the server still answers
 * afterwards and its memory comes back down.
 */
let server: ClinferServer;
// The seeds are CT and MR files: the demo bundle warns rather than refuses here, so every decodable mutant runs the model.
const repository = new TempRepository().addDemo('chest-xray-pneumonia');
beforeAll(async () => {
  const bundleFile = join(repository.root, 'chest-xray-pneumonia/1/bundle.json');
  repository.write('chest-xray-pneumonia/1/bundle.json', JSON.stringify({ ...JSON.parse(readFileSync(bundleFile, 'utf8')), out_of_scope: 'warn' }));
  server = await startTestServer(repository.root, { dicomRoutes: [{ model: 'chest-xray-pneumonia' }], maxImagePixels: 4096 * 4096, maxDecodedBytes: 64 * 1024 * 1024 });
});
afterAll(async () => {
  await server?.close();
  repository.remove();
});

const dir = join(FIXTURES, 'dicom');
const seeds = [
  ['application/dicom', 'pydicom/CT_small.dcm'],
  ['application/dicom', 'pydicom/MR_small_RLE.dcm'],
  ['application/dicom', 'pydicom/JPEG2000.dcm'],
  ['application/dicom', 'pydicom/MR_small_jpeg_ls_lossless.dcm'],
  ['application/dicom', 'pydicom/image_dfl.dcm'],
  ['application/dicom', 'dicomParser/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm'],
].map(([type, file]) => ({ type: type!, bytes: readFileSync(join(dir, file!)) }));

const mutate = (bytes: Buffer) => fc.array(fc.oneof(
  fc.tuple(fc.constant('flip' as const), fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })),
  fc.tuple(fc.constant('cut' as const), fc.nat(bytes.length - 1), fc.constant(0)),
  fc.tuple(fc.constant('insert' as const), fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })),
), { minLength: 1, maxLength: 6 }).map((edits) => {
  let out = Buffer.from(bytes);
  for (const [kind, at, value] of edits) {
    const i = Math.min(at, Math.max(0, out.length - 1));
    if (kind === 'flip') out[i] = value;
    else if (kind === 'cut') out = out.subarray(0, Math.max(1, i));
    else out = Buffer.concat([out.subarray(0, i), Buffer.from([value, value, value, value]), out.subarray(i)]);
  }
  return out;
});

const multipart = (part: Buffer) => Buffer.concat([Buffer.from('--fz\r\nContent-Type: application/dicom\r\n\r\n'), part, Buffer.from('\r\n--fz--\r\n')]);

describe('fuzzing the imaging endpoints', () => {
  it('answers mutated DICOM with a 2xx or 4xx, by predict and by STOW-RS, and keeps its memory', async () => {
    const statuses = new Map<number, number>();
    const rssBefore = process.memoryUsage().rss;
    await fc.assert(fc.asyncProperty(fc.constantFrom(...seeds).chain((seed) => mutate(seed.bytes).map((bytes) => ({ type: seed.type, bytes }))), fc.boolean(), async ({ type, bytes }, stow) => {
      const res = stow
        ? await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body: multipart(bytes), headers: { 'content-type': 'multipart/related; type="application/dicom"; boundary=fz' }, signal: AbortSignal.timeout(20_000) })
        : await fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: bytes, headers: { 'content-type': type }, signal: AbortSignal.timeout(20_000) });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${stow ? 'STOW-RS' : 'predict'}: ${res.status}`).toBeLessThan(500);
    }), { numRuns: runs(400) });
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect([...statuses.keys()].some((s) => s === 200)).toBe(true);
    // Still serving, and the process did not keep what it decoded (generous bound: GC timing varies).
    const ok = await fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: seeds[0]!.bytes, headers: { 'content-type': 'application/dicom' } });
    expect(ok.status).toBe(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);
  });

  it('refuses a DICOM header that claims a huge image before allocating it', async () => {
    const bytes = Buffer.from(seeds[0]!.bytes);
    // CT_small: Rows (0028,0010) US 128 -> 65535 in place; columns likewise: 4 G pixels claimed.
    for (const tag of [[0x28, 0x00, 0x10, 0x00], [0x28, 0x00, 0x11, 0x00]]) {
      const at = bytes.indexOf(Buffer.from(tag));
      bytes.writeUInt16LE(65535, at + 8);
    }
    const res = await fetch(`${server.url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/dicom' } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).code).toBe('IMAGE_TOO_LARGE');
  });
});
