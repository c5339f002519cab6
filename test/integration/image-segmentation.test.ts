import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMask } from '../../adapters/imaging/segmentation.js';
import type { ClinferServer } from '../../runtime/server.js';
import { StoreScp } from '../helpers/dcmtk.js';
import { brightRegionsRepository } from '../helpers/segmentation-bundle.js';
import { FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * Segmentation bundles: image predict answers a run-length encoded label mask at the source's size, and a
 * DICOM study gets a DICOM SEG back. The test model marks exactly the pixels above mid-gray.
 */
const repo = brightRegionsRepository({ preprocessing: { window: 'minmax' }, regulatory_status: 'Test model: not for diagnostic use', labelText: { fr: 'Zone claire' } });
let server: ClinferServer;
let archive: StoreScp;

beforeAll(async () => {
  archive = await StoreScp.start({ aeTitle: 'ARCHIVE' });
  server = await startTestServer(repo.root, {
    dicomRoutes: [{ model: 'bright-regions', modality: ['MR'] }],
    dicomDestinations: [{ name: 'archive', kind: 'cstore', host: '127.0.0.1', port: archive.port, calledAeTitle: 'ARCHIVE' }],
    outboxDir: mkdtempSync(join(tmpdir(), 'clinfer-outbox-')),
    deliveryRetry: { initialMs: 50, maxMs: 500 },
    dicomStudySettleMs: 200,
  });
});
afterAll(async () => {
  await server?.close();
  await archive?.stop();
  repo.remove();
});

describe('segmentation bundles', () => {
  it('answer image predict with the mask at the source size, run-length encoded, and each class share', async () => {
    // 64x64: the left 24 columns bright (200), the rest dark (40).
    const pixels = Buffer.alloc(64 * 64);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) pixels[y * 64 + x] = x < 24 ? 200 : 40;
    const png = await sharp(pixels, { raw: { width: 64, height: 64, channels: 1 } }).png().toBuffer();
    const res = await fetch(`${server.url}/v1/models/bright-regions/predict`, { method: 'POST', body: png, headers: { 'content-type': 'image/png', 'accept-language': 'fr' } });
    expect(res.status).toBe(200);
    const [p] = ((await res.json()) as any).predictions;
    expect(p.mask).toMatchObject({ encoding: 'rle', width: 64, height: 64 });
    const mask = decodeMask(p.mask);
    // Nearest resampling 64 -> 32 -> 64 keeps a boundary at an even column exactly.
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) expect(mask.labels[y * 64 + x]).toBe(x < 24 ? 1 : 0);
    expect(p.mask.runs.slice(0, 4)).toEqual([1, 24, 0, 40]);
    expect(p.segments).toEqual([{ id: 'background', text: 'Fond', fraction: 40 / 64 }, { id: 'bright', text: 'Zone claire', fraction: 24 / 64 }]);
  });

  it('send a DICOM SEG for a routed study, which dciodvfy accepts and which holds the predicted mask', async () => {
    const file = join(FIXTURES, 'dicom/pydicom/MR_small.dcm');
    const boundary = 'seg-b';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), readFileSync(file), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const res = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', body, headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` } });
    expect(res.status).toBe(200);
    const end = Date.now() + 20_000;
    while (archive.files().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const [seg] = archive.files();
    expect(seg).toBeDefined();
    const dump = execFileSync('dcmdump', ['+L', seg!], { encoding: 'utf8' });
    expect(dump).toMatch(/\(0008,0016\) UI =SegmentationStorage/);
    expect(dump).toMatch(/\[Bright region\].*SegmentLabel/);
    expect(dump).toMatch(/Test model: not for diagnostic use\].*ContentDescription/);
    let validation = '';
    try { validation = execFileSync('dciodvfy', [seg!], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch (error: any) { validation = `${error.stdout}${error.stderr}`; }
    expect(validation).not.toMatch(/^Error/m);
    // Its one frame holds, bit for bit (1 bit per pixel, least significant first), the mask /v1 predict gives.
    expect(dump).toMatch(/\(0028,0008\) IS \[1\]/);
    const out = mkdtempSync(join(tmpdir(), 'clinfer-seg-'));
    execFileSync('dcmdump', ['+W', out, seg!], { encoding: 'utf8' });
    const bits = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.raw'))!));
    const predicted = (await (await fetch(`${server.url}/v1/models/bright-regions/predict`, { method: 'POST', body: readFileSync(file), headers: { 'content-type': 'application/dicom' } })).json()) as any;
    const mask = decodeMask(predicted.predictions[0].mask);
    expect(mask.width * mask.height).toBe(64 * 64);
    const unpacked = Array.from({ length: 64 * 64 }, (_, i) => (bits[i >> 3]! >> (i & 7)) & 1);
    expect(unpacked).toEqual(Array.from(mask.labels));
    expect(unpacked.some((v) => v === 1) && unpacked.some((v) => v === 0)).toBe(true);
  });
});
