import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { chestRadiograph } from '../fixtures/dicom-scope/chest.js';
import { DEMO_MODELS, FIXTURES, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * The demo pneumonia model declares what it was made for (bundle.json input_scope: CR/DX, chest, frontal,
 * children aged 1-5, at least 28x28) and refuses the rest with 422 OUT_OF_SCOPE, naming the condition,
 * before the model runs. A bundle that says "out_of_scope": "warn" answers with the warning instead.
 */
let server: ClinferServer;
let warning: ClinferServer;
const repository = new TempRepository();

const post = (target: ClinferServer, body: Uint8Array | Buffer, type: string, model = 'chest-xray-pneumonia') =>
  fetch(`${target.url}/v1/models/${model}/predict`, { method: 'POST', body, headers: { 'content-type': type } });

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS);
  repository.addDemo('chest-xray-pneumonia');
  const bundleFile = join(repository.root, 'chest-xray-pneumonia/1/bundle.json');
  const bundle = JSON.parse(readFileSync(bundleFile, 'utf8'));
  repository.write('chest-xray-pneumonia/1/bundle.json', JSON.stringify({ ...bundle, out_of_scope: 'warn' }));
  warning = await startTestServer(repository.root);
});
afterAll(async () => {
  await server?.close();
  await warning?.close();
  repository.remove();
});

describe('input scope of the demo chest X-ray model', () => {
  const refused = [
    { what: 'an MR', file: 'dicom/pydicom/MR_small.dcm', condition: 'Modality MR is not among CR, DX' },
    { what: 'a CT', file: 'dicom/pydicom/CT_small.dcm', condition: 'Modality CT is not among CR, DX' },
    { what: 'an ultrasound', file: 'dicom/cornerstoneWADOImageLoader/US-YBR_FULL_422-EVRLE.dcm', condition: 'Modality US is not among CR, DX' },
  ];
  for (const r of refused) {
    it(`refuses ${r.what} with 422 OUT_OF_SCOPE naming the modality`, async () => {
      const res = await post(server, readFileSync(join(FIXTURES, r.file)), 'application/dicom');
      expect(res.status).toBe(422);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toBe('OUT_OF_SCOPE');
      expect(body.error).toContain(r.condition);
    });
  }

  it('answers a paediatric frontal chest CR, with no scope notes', async () => {
    const res = await post(server, chestRadiograph(), 'application/dicom');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown> & { predictions: unknown[] };
    expect(body.predictions).toHaveLength(1);
    expect(body).not.toHaveProperty('out_of_scope');
    expect(body).not.toHaveProperty('scope_not_checked');
  });

  it('answers a paediatric chest DX whose age comes from its birth and study dates', async () => {
    const res = await post(server, chestRadiograph({ modality: 'DX', age: null, birthDate: '20220615', studyDate: '20260301', viewPosition: 'AP' }), 'application/dicom');
    expect(res.status).toBe(200);
  });

  it('refuses an adult chest DX, a lateral view, a spine and a 16x16 image, each naming its condition', async () => {
    const cases = [
      { file: chestRadiograph({ modality: 'DX', age: '047Y' }), message: "the patient's age is outside the 1 to 5 years the model was made for" },
      { file: chestRadiograph({ viewPosition: 'LL' }), message: 'View Position LL is not among AP, PA' },
      { file: chestRadiograph({ bodyPart: 'CSPINE' }), message: 'Body Part Examined CSPINE is not among CHEST' },
      { file: chestRadiograph({ size: 16 }), message: 'the image is 16x16 (columns x rows), smaller than the 28x28 the model was made for' },
      { file: chestRadiograph({ age: '006M' }), message: "the patient's age is outside the 1 to 5 years" },
    ];
    for (const c of cases) {
      const res = await post(server, c.file, 'application/dicom');
      expect(res.status, c.message).toBe(422);
      expect(((await res.json()) as { error: string }).error).toContain(c.message);
    }
  });

  it('names every failed condition of an image at once', async () => {
    const res = await post(server, readFileSync(join(FIXTURES, 'dicom/pydicom/dicomdir_cr_ct_mr/77654033_CR1_6154')), 'application/dicom');
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as { error: string };
    for (const part of ['Body Part Examined CSPINE is not among CHEST', 'View Position LL is not among AP, PA', 'smaller than the 28x28', "the patient's age is outside"]) expect(error).toContain(part);
  });

  it('answers a PNG (no DICOM header): the header conditions are listed as not checked, the size applies', async () => {
    const gray = (size: number) => sharp(Buffer.alloc(size * size, 128), { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
    const res = await post(server, await gray(64), 'image/png');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { scope_not_checked: { source: { index: number }; condition: string; message: string }[] };
    expect(body.scope_not_checked.map((n) => n.condition)).toEqual(['modality', 'body_part', 'view_position', 'photometric_interpretation', 'patient_age']);
    expect(body.scope_not_checked[0]).toEqual({ source: { index: 0 }, condition: 'modality', message: 'Modality cannot be checked: a PNG image has no DICOM header (the model expects CR, DX)' });

    const small = await post(server, await gray(16), 'image/png');
    expect(small.status).toBe(422);
    expect(((await small.json()) as { code: string }).code).toBe('OUT_OF_SCOPE');
  });

  it('with "out_of_scope": "warn", answers the MR and says why it is out of scope', async () => {
    const res = await post(warning, readFileSync(join(FIXTURES, 'dicom/pydicom/MR_small.dcm')), 'application/dicom');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: unknown[]; out_of_scope: unknown[] };
    expect(body.predictions).toHaveLength(1);
    expect(body.out_of_scope).toContainEqual({ source: { index: 0 }, condition: 'modality', message: 'Modality MR is not among CR, DX' });
  });

  it('lists the formats it reads in the 415 answer, TIFF and WebP included', async () => {
    const res = await post(server, Buffer.from('hello'), 'text/plain');
    expect(res.status).toBe(415);
    const { error } = (await res.json()) as { error: string };
    for (const type of ['application/dicom', 'image/png', 'image/jpeg', 'image/tiff', 'image/webp', 'multipart/related']) expect(error).toContain(type);
  });
});

describe('character sets over /v1 predict', () => {
  it('refuses an instance whose Specific Character Set is unknown with 415 UNSUPPORTED_CHARACTER_SET naming the term', async () => {
    const res = await post(server, chestRadiograph({ charset: 'ISO_IR 999' }), 'application/dicom');
    expect(res.status).toBe(415);
    const body = (await res.json()) as { code: string; error: string };
    expect(body.code).toBe('UNSUPPORTED_CHARACTER_SET');
    expect(body.error).toContain("'ISO_IR 999'");
  });
});
