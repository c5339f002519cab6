import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { metricValue } from '../helpers/metrics.js';
import { postJson, startTestServer, TempRepository } from '../helpers/server.js';

/** A candidate version evaluated on live traffic: shadow (copied, never answered) and canary (a share answered). */
const repo = new TempRepository().addDemo('heart-disease-risk');
cpSync(join(repo.root, 'heart-disease-risk/1'), join(repo.root, 'heart-disease-risk/2'), { recursive: true });
const bundleFile = join(repo.root, 'heart-disease-risk/2/bundle.json');
writeFileSync(bundleFile, JSON.stringify({ ...JSON.parse(readFileSync(bundleFile, 'utf8')), version: '2' }));

let server: ClinferServer;
const row = (i: number) => [40 + (i % 30), i % 2, 1 + (i % 4), 120 + i, 200 + i, 0, 1, 150, i % 2, 1, 2, i % 3, 3];
const infer = (i: number) => postJson(`${server.url}/v2/models/heart-disease-risk/infer`, { inputs: [{ name: 'features', shape: [2, 13], datatype: 'FP32', data: [row(i), row(i + 1)] }] });
const repoCall = (path: string, body?: unknown, method = 'POST') =>
  fetch(`${server.url}/v2/repository/models/heart-disease-risk/${path}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
const labels = { model: 'heart-disease-risk', version: '1', candidate_version: '2' };

beforeAll(async () => {
  // The demo's policy (latest 1) would serve version 2: start with version 1 pinned by model.json.
  writeFileSync(join(repo.root, 'heart-disease-risk/model.json'), JSON.stringify({ version_policy: { specific: ['1'] } }));
  server = await startTestServer(repo.root);
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

describe('shadow mode', () => {
  it('runs every request on the candidate too, records the comparison, and answers only from the serving version', async () => {
    const attached = await repoCall('candidate', { version: '2', mode: 'shadow' });
    expect(attached.status).toBe(200);
    expect(await attached.json()).toMatchObject({ version: '2', mode: 'shadow', state: 'READY' });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => infer(i)));
    expect(answers.every((a) => a.status === 200 && a.json.model_version === '1')).toBe(true);
    // Shadow runs finish after the answers: wait for all 80 rows to be compared.
    // (Bounded by a generous poll, not by 100 x 50 ms, which a loaded machine may overrun.)
    await expect.poll(() => metricValue(server.url, 'clinfer_shadow_comparisons_total', { ...labels, result: 'agree' }), { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(80);
    // Version 2 is the same model: every row agrees.
    expect(await metricValue(server.url, 'clinfer_shadow_comparisons_total', { ...labels, result: 'agree' })).toBe(80);
    expect(await metricValue(server.url, 'clinfer_shadow_comparisons_total', { ...labels, result: 'disagree' })).toBe(0);
    expect(await metricValue(server.url, 'clinfer_inference_batch_size_count', { model: 'heart-disease-risk', version: '2' })).toBeGreaterThan(0);
  });

  it('ends without promoting the candidate', async () => {
    expect((await repoCall('candidate', undefined, 'DELETE')).status).toBe(200);
    const index = (await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST' })).json()) as any[];
    expect(index.filter((e) => e.name === 'heart-disease-risk').map((e) => [e.version, e.state])).toEqual([['1', 'READY'], ['2', 'UNAVAILABLE']]);
    expect((await infer(0)).json.model_version).toBe('1');
  });
});

describe('canary', () => {
  it('sends about the configured share of traffic to the candidate, which answers it', async () => {
    expect((await repoCall('candidate', { version: '2', mode: 'canary', percent: 30 })).status).toBe(200);
    const versions = (await Promise.all(Array.from({ length: 300 }, (_, i) => infer(i)))).map((a) => a.json.model_version);
    const share = versions.filter((v) => v === '2').length / versions.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.45);
    expect((await repoCall('candidate', undefined, 'DELETE')).status).toBe(200);
  });

  it('refuses a bad candidate request', async () => {
    const res = await repoCall('candidate', { version: '2', mode: 'canary', percent: 150 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/'percent'/);
    expect((await repoCall('candidate', { version: '9', mode: 'shadow' })).status).toBe(404);
  });
});
