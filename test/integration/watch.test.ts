import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, startTestServer, TempRepository } from '../helpers/server.js';

/** Watch mode: a version copied into the repository is served once the copy is complete, not before. */
const repo = new TempRepository().addDemo('heart-disease-risk');
let server: ClinferServer;
const index = async () => (await (await fetch(`${server.url}/v2/repository/index`, { method: 'POST' })).json()) as { name: string; version: string; state: string }[];
async function until(predicate: () => Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  server = await startTestServer(repo.root, { watch: true });
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

describe('watch mode', () => {
  it('picks up a version copied in slowly, only once complete, and swaps to it', async () => {
    const model = readFileSync(join(DEMO_MODELS, 'heart-disease-risk/1/model.onnx'));
    const bundle = JSON.parse(readFileSync(join(DEMO_MODELS, 'heart-disease-risk/1/bundle.json'), 'utf8'));
    const dir = join(repo.root, 'heart-disease-risk', '2');
    mkdirSync(dir);
    // A copy in two steps with a pause: the watcher waits for a quiet second and two equal looks.
    writeFileSync(join(dir, 'model.onnx'), model.subarray(0, model.length >> 1));
    await new Promise((r) => setTimeout(r, 600));
    // Mid-copy (the watcher waits 1.5 s after the last change): version 2 is not tried, so not listed.
    expect((await index()).filter((e) => e.name === 'heart-disease-risk').map((e) => [e.version, e.state])).toEqual([['1', 'READY']]);
    writeFileSync(join(dir, 'model.onnx'), model);
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify({ ...bundle, version: '2' }));
    await until(async () => (await index()).some((e) => e.name === 'heart-disease-risk' && e.version === '2' && e.state === 'READY'));
    // Version 1 is UNLOADING for a moment after 2 is READY (its queue drains, the threads free its sessions).
    await until(async () => (await index()).some((e) => e.name === 'heart-disease-risk' && e.version === '1' && e.state !== 'UNLOADING'));
    const entries = (await index()).filter((e) => e.name === 'heart-disease-risk').map((e) => [e.version, e.state]);
    expect(entries).toEqual([['1', 'UNAVAILABLE'], ['2', 'READY']]);
  });

  it('loads a model folder that appears', async () => {
    cpSync(join(DEMO_MODELS, 'chest-xray-pneumonia'), join(repo.root, 'chest-xray-pneumonia'), { recursive: true });
    await until(async () => (await index()).some((e) => e.name === 'chest-xray-pneumonia' && e.state === 'READY'));
  });
});
