import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { bundleJson } from '../helpers/bundle.js';
import { metricValue } from '../helpers/metrics.js';
import { DEMO_MODELS, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Execution provider fallback on a machine without CUDA: onnxruntime-node 1.30 throws for a missing
 * provider, clinfer must fall back to CPU, log it once per load, and report the provider in use.
 */
const HEART = join(DEMO_MODELS, 'heart-disease-risk/1/model.onnx');
const repo = new TempRepository()
  .add('gpu-first', '1', { 'model.onnx': { copy: HEART }, 'bundle.json': bundleJson('gpu-first', '1', HEART, { execution: { providers: ['cuda', 'cpu'] } }) })
  .add('bare', '1', { 'model.onnx': { copy: HEART } });
const log: string[] = [];
let server: ClinferServer;

beforeAll(async () => {
  // The server default for bundle-less models asks for TensorRT then CUDA: neither exists here.
  server = await startTestServer(repo.root, { providers: ['tensorrt', 'cuda', 'cpu'] }, log);
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

describe('execution providers', () => {
  it.each(['gpu-first', 'bare'])('%s falls back to CPU, serves, and says so in metadata and metrics', async (model) => {
    const meta = await getJson(`${server.url}/v2/models/${model}`);
    expect(meta.status).toBe(200);
    expect(meta.json.execution_provider).toBe('cpu');
    const res = await postJson(`${server.url}/v2/models/${model}/infer`, { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] });
    expect(res.status).toBe(200);
    expect(await metricValue(server.url, 'clinfer_model_execution_provider', { model, version: '1', provider: 'cpu' })).toBe(1);
  });

  it('logs each fallback once per load, with the reason', () => {
    const fallbacks = log.map((l) => JSON.parse(l)).filter((e) => e.msg === 'execution provider fallback');
    expect(fallbacks.filter((e) => e.model === 'gpu-first')).toHaveLength(1);
    const bare = fallbacks.find((e) => e.model === 'bare');
    expect(bare.failed.map((f: { provider: string }) => f.provider)).toEqual(['tensorrt', 'cuda']);
    expect(bare.failed[0].error.length).toBeGreaterThan(0);
  });
});
