import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, FIXTURES, getJson, postJson, startTestServer, TempRepository, THIRD_PARTY } from '../helpers/server.js';

/** Bundles, broken bundles, version policies and Triton's load/unload, on one live server. */
const heartDir = join(DEMO_MODELS, 'heart-disease-risk', '1');
const heartBundle = JSON.parse(readFileSync(join(heartDir, 'bundle.json'), 'utf8'));
const heartModel = { copy: join(heartDir, 'model.onnx') };
const mnist = { copy: join(THIRD_PARTY, 'mnist/model.ort') };
const bundleFor = (name: string, version: string, patch: Record<string, unknown> = {}) =>
  JSON.stringify({ ...heartBundle, name, version, ...patch });

const repo = new TempRepository()
  .add('heart', '1', { 'bundle.json': bundleFor('heart', '1'), 'model.onnx': heartModel })
  .add('bad-json', '1', { 'bundle.json': '{"schema_version": 1,', 'model.onnx': heartModel })
  .add('bad-sha', '1', { 'bundle.json': bundleFor('bad-sha', '1', { model: { file: 'model.onnx', sha256: '0'.repeat(64) } }), 'model.onnx': heartModel })
  .add('bad-field', '1', { 'bundle.json': bundleFor('bad-field', '1', { task: 'diagnosis' }), 'model.onnx': heartModel })
  .add('bad-input', '1', { 'bundle.json': bundleFor('bad-input', '1', { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 13] }] }), 'model.onnx': heartModel })
  .add('bad-dtype', '1', { 'bundle.json': bundleFor('bad-dtype', '1', { inputs: [{ name: 'features', datatype: 'FP64', shape: [-1, 13] }] }), 'model.onnx': heartModel })
  .add('missing-file', '1', { 'bundle.json': bundleFor('missing-file', '1') })
  .add('fixed-batch', '1', {
    'bundle.json': bundleFor('fixed-batch', '1', {
      model: { file: 'model.ort', sha256: createHash('sha256').update(readFileSync(mnist.copy)).digest('hex') },
      inputs: undefined, outputs: undefined, max_batch_size: 8,
    }),
    'model.ort': mnist,
  })
  .add('policy', '1', { 'model.onnx': heartModel })
  .add('policy', '2', { 'model.onnx': heartModel })
  .add('policy', '3', { 'model.onnx': heartModel })
  .add('latest', '1', { 'model.onnx': heartModel })
  .add('latest', '4', { 'model.onnx': heartModel })
  .add('zipmap', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/zipmap_classifier.onnx') } })
  .add('sequence', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/sequence_output.onnx') } })
  .write('policy/model.json', JSON.stringify({ version_policy: { latest: 2 } }))
  .mkdir('policy/notes') // not a version number: ignored
  .mkdir('empty');

let server: ClinferServer;
let url: string;
const index = async () => (await postJson(`${url}/v2/repository/index`, {})).json as { name: string; version: string; state: string; reason: string }[];
const entry = async (name: string, version = '1') => (await index()).find((e) => e.name === name && e.version === version);

beforeAll(async () => {
  server = await startTestServer(repo.root);
  url = server.url;
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

describe('broken bundles never stop the server', () => {
  it('keeps serving healthy models; readiness (strict) names the broken ones', async () => {
    const ready = await getJson(`${url}/v2/health/ready`);
    expect(ready.status).toBe(400);
    expect(new Set(ready.json.not_ready.map((e: { model: string }) => e.model))).toEqual(new Set(['bad-json', 'bad-sha', 'bad-field', 'bad-input', 'bad-dtype', 'missing-file', 'fixed-batch', 'empty']));
    expect((await entry('heart'))?.state).toBe('READY');
  });

  it.each([
    ['bad-json', /bad-json\/1\/bundle\.json: is not valid JSON/],
    ['bad-sha', /bundle\.json: field 'model\.sha256': model\.onnx has sha256 [0-9a-f]{64}, the bundle declares 0{64}/],
    ['bad-field', /bundle\.json: field 'task'/],
    ['bad-input', /bundle\.json: field 'inputs': does not declare graph input 'features'/],
    ['bad-dtype', /field 'inputs\[0\]\.datatype': is FP64, the graph says FP32/],
    ['missing-file', /field 'model\.file': model\.onnx is not a file/],
    ['fixed-batch', /field 'max_batch_size': is 8 but 'Input3' has no dynamic first dimension/],
  ])('%s is UNAVAILABLE with a reason naming file and field', async (name, reason) => {
    const e = await entry(name);
    expect(e?.state).toBe('UNAVAILABLE');
    expect(e?.reason).toMatch(reason);
    const ready = await getJson(`${url}/v2/models/${name}/versions/1/ready`);
    expect(ready.status).toBe(400);
    expect(ready.json).toMatchObject({ ready: false, state: 'UNAVAILABLE' });
    expect(ready.json.reason).toMatch(reason);
    const infer = await postJson(`${url}/v2/models/${name}/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(0) }] });
    expect(infer.status).toBe(503);
    expect(infer.json.code).toBe('MODEL_NOT_READY');
  });

  it('reports a model folder without versions', async () => {
    const e = (await index()).find((x) => x.name === 'empty');
    expect(e).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/holds no version folder/) });
  });
});

describe('version policy', () => {
  it('serves the highest version by default', async () => {
    const versions = (await index()).filter((e) => e.name === 'latest');
    expect(versions).toEqual([expect.objectContaining({ version: '4', state: 'READY' })]);
    expect((await getJson(`${url}/v2/models/latest`)).json.version).toBe('4');
  });

  it('serves the latest N from model.json', async () => {
    const versions = (await index()).filter((e) => e.name === 'policy').map((e) => [e.version, e.state]);
    expect(versions).toEqual([['2', 'READY'], ['3', 'READY']]);
    expect((await getJson(`${url}/v2/models/policy/versions/1`)).status).toBe(404);
    expect((await getJson(`${url}/v2/models/policy/versions/2`)).status).toBe(200);
  });
});

describe('non-tensor outputs', () => {
  it('serves a ZipMap output as the probabilities tensor that feeds it (scikit-learn-onnx classifiers unmodified)', async () => {
    const meta = await getJson(`${url}/v2/models/zipmap`);
    expect(meta.json.outputs).toEqual([
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      { name: 'output_probability', datatype: 'FP32', shape: [-1, 2] },
    ]);
    expect(meta.json.unsupported_outputs ?? []).toEqual([]);
    const ok = await postJson(`${url}/v2/models/zipmap/infer`, { inputs: [{ name: 'X', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }] });
    expect(ok.status).toBe(200);
    expect(ok.json.outputs[0]).toMatchObject({ name: 'label', datatype: 'INT64', shape: [2], data: [0, 0] });
    expect(ok.json.outputs[1].data[0]).toBeCloseTo(0.99908900, 6);
    expect(ok.json.outputs[2]).toMatchObject({ name: 'output_probability', datatype: 'FP32', shape: [2, 2], data: ok.json.outputs[1].data });
  });

  it('serves the tensor outputs and lists another non-tensor output (a sequence) as unsupported', async () => {
    const meta = await getJson(`${url}/v2/models/sequence`);
    expect(meta.json.outputs.map((o: any) => o.name)).toEqual(['Y']);
    expect(meta.json.unsupported_outputs).toEqual([{ name: 'S', reason: expect.stringContaining('not a tensor') }]);
    const ok = await postJson(`${url}/v2/models/sequence/infer`, { inputs: [{ name: 'X', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
    expect(ok.status).toBe(200);
    expect(ok.json.outputs).toEqual([expect.objectContaining({ name: 'Y', data: [1, 2] })]);
    const bad = await postJson(`${url}/v2/models/sequence/infer`, { inputs: [{ name: 'X', shape: [1, 2], datatype: 'FP32', data: [1, 2] }], outputs: [{ name: 'S' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/'S' is not a tensor/);
  });
});

describe('repository extension: load and unload', () => {
  it('unloads a model (then 503 on infer) and loads it back', async () => {
    const body = { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] };
    expect((await postJson(`${url}/v2/models/heart/infer`, body)).status).toBe(200);
    expect((await postJson(`${url}/v2/repository/models/heart/unload`, {})).status).toBe(200);
    expect(await entry('heart')).toMatchObject({ state: 'UNAVAILABLE', reason: 'unloaded' });
    const refused = await postJson(`${url}/v2/models/heart/infer`, body);
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatch(/UNAVAILABLE: unloaded/);
    expect((await postJson(`${url}/v2/repository/models/heart/load`, {})).status).toBe(200);
    expect((await entry('heart'))?.state).toBe('READY');
    expect((await postJson(`${url}/v2/models/heart/infer`, body)).status).toBe(200);
  });

  it('picks up a new version folder on load and retires the old one under the default policy', async () => {
    repo.add('latest', '5', { 'model.onnx': heartModel });
    expect((await postJson(`${url}/v2/repository/models/latest/load`, {})).status).toBe(200);
    const versions = (await index()).filter((e) => e.name === 'latest').map((e) => [e.version, e.state]);
    expect(versions).toEqual([['4', 'UNAVAILABLE'], ['5', 'READY']]);
  });

  it('answers a failed load with 400 and the reason, and 404 for an unknown model', async () => {
    const bad = await postJson(`${url}/v2/repository/models/bad-sha/load`, {});
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'BUNDLE_INVALID', error: expect.stringMatching(/model\.sha256/) });
    expect((await postJson(`${url}/v2/repository/models/nope/load`, {})).status).toBe(404);
    expect((await postJson(`${url}/v2/repository/models/nope/unload`, {})).status).toBe(404);
  });
});
