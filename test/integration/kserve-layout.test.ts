import { mkdtempSync, mkdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProviders } from '../../runtime/config/default-providers.js';
import { DEMO_MODELS, getJson, postJson, startTestServer } from '../helpers/server.js';

/** KServe mounts one model at /mnt/models, without version folders; clinfer serves it under --model-name. */
const HEART = join(DEMO_MODELS, 'heart-disease-risk/1');
const row = { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] };

describe('KServe layout', () => {
  it('serves a repository root that holds one bundle directly, under the configured name', async () => {
    const root = mkdtempSync(join(tmpdir(), 'clinfer-mnt-'));
    cpSync(HEART, root, { recursive: true });
    const server = await startTestServer(root, { modelName: 'heart' });
    try {
      const meta = await getJson(`${server.url}/v2/models/heart`);
      expect(meta.status).toBe(200);
      expect(meta.json).toMatchObject({ name: 'heart', versions: ['1'], metadata_source: 'bundle' });
      expect((await postJson(`${server.url}/v2/models/heart/infer`, row)).status).toBe(200);
      expect((await getJson(`${server.url}/v2/models/heart-disease-risk`)).status).toBe(404);
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('serves a bare model.onnx at the root, and model folders without version folders', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'clinfer-mnt-'));
    cpSync(join(HEART, 'model.onnx'), join(bare, 'model.onnx'));
    const flat = mkdtempSync(join(tmpdir(), 'clinfer-flat-'));
    mkdirSync(join(flat, 'risk'));
    cpSync(join(HEART, 'model.onnx'), join(flat, 'risk', 'model.onnx'));
    writeFileSync(join(flat, 'README.txt'), 'not a model');
    const [a, b] = await Promise.all([startTestServer(bare), startTestServer(flat)]);
    try {
      expect((await getJson(`${a.url}/v2/models/model`)).json).toMatchObject({ name: 'model', metadata_source: 'autofill' });
      expect((await postJson(`${a.url}/v2/models/model/infer`, row)).status).toBe(200);
      expect((await getJson(`${b.url}/v2/models/risk/versions/1`)).status).toBe(200);
      expect((await postJson(`${b.url}/v2/models/risk/infer`, row)).status).toBe(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
      rmSync(bare, { recursive: true, force: true });
      rmSync(flat, { recursive: true, force: true });
    }
  });
});

describe('default execution providers', () => {
  it('are CUDA then CPU only where the CUDA provider library is installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinfer-ortbin-'));
    expect(defaultProviders(dir)).toEqual(['cpu']);
    writeFileSync(join(dir, 'libonnxruntime_providers_cuda.so'), '');
    expect(defaultProviders(dir)).toEqual(['cuda', 'cpu']);
    rmSync(dir, { recursive: true, force: true });
  });
});
