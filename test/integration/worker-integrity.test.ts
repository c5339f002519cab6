import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, FIXTURES, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Integrity after a worker dies: a replacement worker creates its session from the model bytes that were
 * verified at load (read and hashed in one go against the sha256 the load verified), never from whatever
 * the file holds now. Here the model file is swapped on disk after the load, both worker threads die,
 * and their replacements must refuse the swapped
 * file, loudly, while bundle_digest still names what was verified; with the original bytes back, they serve.
 */
const MODEL = 'heart-disease-risk';
const repo = new TempRepository().addDemo(MODEL);
const modelFile = join(repo.root, MODEL, '1/model.onnx');
const original = readFileSync(modelFile);
const ROW = [63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, 0, 1];
let server: ClinferServer;

const infer = () => postJson(`${server.url}/v2/models/${MODEL}/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: ROW }] });

beforeAll(async () => {
  server = await startTestServer(repo.root, { workers: 2 });
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

describe('a replacement worker', () => {
  it('refuses a model file swapped on disk after the load, and bundle_digest stays the verified one', async () => {
    const before = await infer();
    expect(before.status).toBe(200);
    const digest = (await getJson(`${server.url}/v2/models/${MODEL}`)).json.parameters?.bundle_digest ?? before.json.parameters.bundle_digest;
    expect(digest).toMatch(/^[0-9a-f]{64}$/);

    // Another valid ONNX model in place of the verified one.
    copyFileSync(join(FIXTURES, 'generated/identity_all_types.onnx'), modelFile);
    // Both worker threads die (ended while idle, as a crash would end them); their replacements start.
    await Promise.all(server.pool.threads.map((t) => t.terminate()));
    expect(server.pool.workerExits).toBe(2);
    for (const end = Date.now() + 15_000; server.pool.liveWorkers < 2 && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));

    // Every thread is now a replacement: each refuses the swapped bytes, naming why; none serves them.
    for (let i = 0; i < 4; i++) {
      const refused = await infer();
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(refused.json).toMatchObject({ code: 'INFERENCE_FAILED', error: expect.stringMatching(/changed on disk since it was verified/) });
    }
    expect(server.repository.resolve(MODEL, '1').config?.digest).toBe(digest);

    // The verified bytes back in place: the replacements serve them, with the same answer as before.
    copyFileSync(join(DEMO_MODELS, MODEL, '1/model.onnx'), modelFile);
    expect(readFileSync(modelFile).equals(original)).toBe(true);
    const after = await infer();
    expect(after.status).toBe(200);
    expect(after.json.outputs).toEqual(before.json.outputs);
    expect(after.json.parameters.bundle_digest).toBe(digest);
  });
});
