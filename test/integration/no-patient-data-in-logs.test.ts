import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, postJson, startTestServer } from '../helpers/server.js';

/** Log lines carry identifiers, states and codes: never request ids, values or bodies. */
const log: string[] = [];
let server: ClinferServer;

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS, {}, log);
});
afterAll(() => server?.close());

describe('logs', () => {
  it('hold no request content, even at debug level and for failing requests', async () => {
    const marker = 'Jane-Doe-1975-03-14';
    const value = 131.3131;
    const url = `${server.url}/v2/models/heart-disease-risk/infer`;
    await postJson(url, { id: marker, inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: new Array(13).fill(value) }] });
    await postJson(url, { id: marker, inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [marker, ...new Array(12).fill(value)] }] });
    await postJson(url, { id: marker, inputs: [{ name: marker, shape: [1, 13], datatype: 'FP32', data: [] }] });
    await fetch(url, { method: 'POST', body: `{"id": "${marker}", "inputs": [` });
    await postJson(`${server.url}/v2/models/${marker}/infer`, { inputs: [] });
    expect(log.length).toBeGreaterThan(0);
    const all = log.join('\n');
    expect(all).not.toContain(marker);
    expect(all).not.toContain(String(value));
  });
});
