import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { answerPattern, curlExamples, documentedAnswer, shellBlocks } from '../helpers/readme-examples.js';
import { DEMO_MODELS, ROOT, startTestServer } from '../helpers/server.js';

// The README is read here, not copied: an example or a documented answer that changes is checked as it now reads.
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const examples = curlExamples(shellBlocks(README, '## HTTP API (Open Inference Protocol v2)', '### Imaging'));
const documented = examples.flatMap((e) => {
  const answer = documentedAnswer(e.comment);
  return answer ? [{ example: e, answer }] : [];
});

let server: ClinferServer;
beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS);
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, compact: JSON.stringify(JSON.parse(text)) };
};

describe('README examples (OIP and records) answer what the README says', () => {
  it('finds the examples with a documented answer, and each can run as written', () => {
    // Guards against a README edit that leaves nothing to check (a renamed heading, a new comment style).
    expect(documented.map(({ example }) => `${example.method} ${example.path}`)).toEqual(expect.arrayContaining([
      'GET /v2', 'GET /v2/health/live', 'GET /v2/health/ready',
      'POST /v2/models/heart-disease-risk/infer', 'POST /v1/models/heart-disease-risk/predict',
    ]));
    expect(documented.filter(({ example }) => example.unrunnable).map(({ example }) => example.text)).toEqual([]);
  });

  it.each(documented.map(({ example, answer }) => [example.text.split('\n')[0]!.slice(0, 90), example, answer] as const))(
    '%s', async (_name, example, answer) => {
      const got = await call(example.method, example.path, example.headers, example.body);
      if (answer.status !== undefined) expect(got.status).toBe(answer.status);
      else expect(got.status).toBeLessThan(300);
      expect(got.compact).toMatch(answerPattern(answer.json));
    });

  it('the metadata answer shown is the server\'s', async () => {
    const block = /Metadata answer[^\n]*\n\n```json\n([\s\S]*?)```/.exec(README);
    expect(block, 'the README shows a metadata answer').not.toBeNull();
    const got = await call('GET', '/v2/models/heart-disease-risk');
    expect(got.status).toBe(200);
    expect(got.compact).toMatch(answerPattern(block![1]!.trim()));
  });

  it('the records example\'s probability is the server\'s, to the digits shown', async () => {
    const records = documented.find(({ example }) => example.path === '/v1/models/heart-disease-risk/predict')!;
    const shown = /"probability":(\d\.\d+)/.exec(records.answer.json)?.[1];
    expect(shown, 'the records example documents a probability').toBeDefined();
    const res = await fetch(`${server.url}${records.example.path}`, { method: 'POST', headers: records.example.headers, body: records.example.body! });
    const probability = ((await res.json()) as { predictions: Array<{ probability: number }> }).predictions[0]!.probability;
    expect(String(probability).startsWith(shown!), `README shows ${shown}, the server answers ${probability}`).toBe(true);
  });
});
