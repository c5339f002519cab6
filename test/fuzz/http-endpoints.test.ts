import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, startTestServer } from '../helpers/server.js';
import { runs } from './runs.js';

/** Hostile bodies against the live server: whatever arrives, the answer is never a 5xx and never hangs. */
let server: ClinferServer;
beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS);
});
afterAll(() => server?.close());

const targets = [
  { path: '/v2/models/heart-disease-risk/infer', type: 'application/json' },
  { path: '/v2/models/chest-xray-pneumonia/infer', type: 'application/octet-stream', binary: true },
  { path: '/v1/models/heart-disease-risk/predict', type: 'application/json' },
  { path: '/v1/models/heart-disease-risk/predict', type: 'application/fhir+json' },
  { path: '/cds-services/heart-disease-risk', type: 'application/json' },
  { path: '/cds-services/heart-disease-risk/feedback', type: 'application/json' },
  { path: '/v2/repository/models/heart-disease-risk/versions/9', type: 'application/gzip', method: 'PUT' },
];

describe('fuzzing the HTTP endpoints', () => {
  it('answers every hostile request with a 2xx or 4xx', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...targets), fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((j) => JSON.stringify(j) ?? 'null'), fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b))),
      fc.option(fc.oneof(fc.nat({ max: 400 }).map(String), fc.string({ maxLength: 5 }))),
      async (target, body, headerLength) => {
        const res = await fetch(`${server.url}${target.path}`, {
          method: target.method ?? 'POST', body,
          headers: { 'content-type': target.type, ...(target.binary && headerLength !== null ? { 'inference-header-content-length': headerLength } : {}) },
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${target.path} ${String(body).slice(0, 80)}`).toBeLessThan(500);
      },
    ), { numRuns: runs(600) });
    // The refusals dominate, and the server still answers a normal request.
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    const ok = await fetch(`${server.url}/v2/models/heart-disease-risk/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(1) }] }) });
    expect(ok.status).toBe(200);
  });

  it('answers JSON nested 200 000 levels deep with a 4xx naming the field, on every JSON endpoint', async () => {
    const deepArray = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const cases: [string, string, string][] = [
      ['/v2/models/heart-disease-risk/infer', 'application/json', `{"inputs":[{"name":"features","shape":[1,13],"datatype":"FP32","data":${deepArray}}]}`],
      ['/v1/models/heart-disease-risk/predict', 'application/json', `{"records":${deepArray}}`],
      ['/v1/models/heart-disease-risk/predict', 'application/fhir+json', `{"resourceType":"Bundle","type":"collection","entry":[{"resource":${deepObject}}]}`],
      ['/cds-services/heart-disease-risk', 'application/json', `{"hook":"patient-view","hookInstance":"x","context":${deepObject}}`],
    ];
    for (const [path, type, body] of cases) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': type }, signal: AbortSignal.timeout(20_000) });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      // Refused before parsing, the message names what nests too deep: tensor data, records or FHIR Bundles, a hook's context.
      expect(await res.text(), path).toMatch(/nests JSON deeper than 64 levels.*(tensor data|records|Bundle|context)/);
    }
  });
});
