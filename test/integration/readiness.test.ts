import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { grpcTestClient } from '../helpers/grpc-client.js';
import { DEMO_MODELS, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Honest readiness (repository/readiness.ts): every expected model must have a READY version, a model
 * that failed to load holds readiness back (400 with the list, as Triton), HTTP and gRPC agree; and a
 * DELETE of the serving version falls back to the newest remaining version.
 */
const heartModel = { copy: join(DEMO_MODELS, 'heart-disease-risk', '1', 'model.onnx') };
const row = { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] };

function brokenRepository(): TempRepository {
  return new TempRepository()
    .add('heart', '1', { 'model.onnx': heartModel })
    .add('broken', '1', { 'model.onnx': Buffer.from('not an onnx model') });
}

const serverReady = (server: ClinferServer): Promise<boolean> => {
  const client = grpcTestClient(server.grpcAddress!);
  return client.rpc('ServerReady', {}).then((r) => r.ready as boolean).finally(() => client.close());
};

describe('a model that failed to load (strictReadiness, the default)', () => {
  const repo = brokenRepository();
  let server: ClinferServer;
  beforeAll(async () => {
    server = await startTestServer(repo.root);
  });
  afterAll(async () => {
    await server?.close();
    repo.remove();
  });

  it('makes the server not ready: 400 listing the model, its version, state and reason; gRPC agrees', async () => {
    const ready = await getJson(`${server.url}/v2/health/ready`);
    expect(ready.status).toBe(400);
    expect(ready.json).toEqual({ ready: false, not_ready: [{ model: 'broken', version: '1', state: 'UNAVAILABLE', reason: expect.stringMatching(/\S/) }] });
    expect(await serverReady(server)).toBe(false);
    // The healthy model serves all the same: readiness is about what the repository promises.
    expect((await postJson(`${server.url}/v2/models/heart/infer`, row)).status).toBe(200);
    expect((await getJson(`${server.url}/v2/health/live`)).status).toBe(200);
  });

  it('is ready once the broken model is unloaded through the API, and not ready again after it is loaded', async () => {
    expect((await postJson(`${server.url}/v2/repository/models/broken/unload`, {})).status).toBe(200);
    expect(await getJson(`${server.url}/v2/health/ready`)).toMatchObject({ status: 200, json: { ready: true } });
    expect(await serverReady(server)).toBe(true);
    // The load is refused: a file ONNX Runtime cannot parse is the bundle's fault (400 BUNDLE_INVALID).
    const refused = await postJson(`${server.url}/v2/repository/models/broken/load`, {});
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 'BUNDLE_INVALID', error: expect.stringMatching(/ONNX Runtime cannot load the model file/) });
    expect((await getJson(`${server.url}/v2/health/ready`)).status).toBe(400);
    expect(await serverReady(server)).toBe(false);
  });

  it('counts an unloaded healthy model as not expected until it is loaded again', async () => {
    expect((await postJson(`${server.url}/v2/repository/models/broken/unload`, {})).status).toBe(200);
    expect((await postJson(`${server.url}/v2/repository/models/heart/unload`, {})).status).toBe(200);
    expect((await getJson(`${server.url}/v2/health/ready`)).status).toBe(200);
    expect((await postJson(`${server.url}/v2/repository/models/heart/load`, {})).status).toBe(200);
    expect((await getJson(`${server.url}/v2/health/ready`)).status).toBe(200);
  });
});

describe('readiness settings', () => {
  it('strictReadiness false: ready once the repository was scanned, whatever the models', async () => {
    const repo = brokenRepository();
    const server = await startTestServer(repo.root, { strictReadiness: false });
    try {
      expect(await getJson(`${server.url}/v2/health/ready`)).toMatchObject({ status: 200, json: { ready: true } });
      expect(await serverReady(server)).toBe(true);
    } finally {
      await server.close();
      repo.remove();
    }
  });

  it('optionalModels: a listed model never holds readiness back, an unlisted one does', async () => {
    const repo = brokenRepository().add('broken-too', '1', { 'model.onnx': Buffer.from('nope') });
    const server = await startTestServer(repo.root, { optionalModels: ['broken'] });
    try {
      const ready = await getJson(`${server.url}/v2/health/ready`);
      expect(ready.status).toBe(400);
      expect(ready.json.not_ready.map((e: { model: string }) => e.model)).toEqual(['broken-too']);
    } finally {
      await server.close();
      repo.remove();
    }
  });

  it('a model folder without any version is expected, and not ready (version "")', async () => {
    const repo = new TempRepository().add('heart', '1', { 'model.onnx': heartModel }).mkdir('empty');
    const server = await startTestServer(repo.root);
    try {
      const ready = await getJson(`${server.url}/v2/health/ready`);
      expect(ready.status).toBe(400);
      expect(ready.json.not_ready).toEqual([{ model: 'empty', version: '', state: 'UNAVAILABLE', reason: expect.stringMatching(/no version folder/) }]);
    } finally {
      await server.close();
      repo.remove();
    }
  });
});

describe('DELETE of the serving version', () => {
  // Default version policy (latest 1): only version 3 loads at start; 1 and 2 are on disk, not loaded.
  const repo = new TempRepository()
    .add('heart', '1', { 'model.onnx': heartModel })
    .add('heart', '2', { 'model.onnx': heartModel })
    .add('heart', '3', { 'model.onnx': heartModel });
  let server: ClinferServer;
  const del = (version: string) => fetch(`${server.url}/v2/repository/models/heart/versions/${version}`, { method: 'DELETE' });
  const states = async () => ((await postJson(`${server.url}/v2/repository/index`, {})).json as { name: string; version: string; state: string }[])
    .filter((e) => e.name === 'heart').map((e) => [e.version, e.state]);
  beforeAll(async () => {
    server = await startTestServer(repo.root);
  });
  afterAll(async () => {
    await server?.close();
    repo.remove();
  });

  it('loads the newest remaining version, which then answers; readiness stays true', async () => {
    expect(await states()).toEqual([['3', 'READY']]);
    expect((await del('3')).status).toBe(200);
    expect(existsSync(join(repo.root, 'heart', '3'))).toBe(false);
    expect(await states()).toEqual([['2', 'READY']]);
    const answer = await postJson(`${server.url}/v2/models/heart/infer`, row);
    expect(answer.status).toBe(200);
    expect(answer.json.model_version).toBe('2');
    expect((await getJson(`${server.url}/v2/health/ready`)).status).toBe(200);
  });

  it('deleting a version that does not serve leaves the serving one alone', async () => {
    expect((await del('1')).status).toBe(200);
    expect(await states()).toEqual([['2', 'READY']]);
    expect((await postJson(`${server.url}/v2/models/heart/infer`, row)).json.model_version).toBe('2');
  });

  it('deleting the last version forgets the model: 404, and the server stays ready', async () => {
    expect((await del('2')).status).toBe(200);
    expect(await states()).toEqual([]);
    expect((await postJson(`${server.url}/v2/models/heart/infer`, row)).status).toBe(404);
    expect((await getJson(`${server.url}/v2/health/ready`)).status).toBe(200);
    expect(existsSync(join(repo.root, 'heart'))).toBe(false);
  });
});
