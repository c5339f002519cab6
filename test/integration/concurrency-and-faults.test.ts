import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { maxAbsDiff } from '../helpers/golden.js';
import { DEMO_MODELS, postJson, startTestServer } from '../helpers/server.js';

/** Many callers at once, a worker killed under load, and /metrics counting exactly what happened. */
let server: ClinferServer;
const made = { heart: { success: 0, INVALID_INPUT: 0 }, xray: { success: 0 } };
let rowsSent = 0;

const row = (i: number) => [40 + (i % 40), i % 2, 1 + (i % 4), 110 + (i % 50), 180 + (i % 120), i % 2, i % 3, 100 + (i % 90), (i >> 1) % 2, (i % 40) / 10, 1 + (i % 3), i % 4, [3, 6, 7][i % 3]!];

beforeAll(async () => {
  server = await startTestServer(DEMO_MODELS);
});
afterAll(() => server?.close());

async function expectedProbabilities(rows: number[][]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(DEMO_MODELS, 'heart-disease-risk/1/model.onnx'));
  const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 13]) });
  await session.release();
  return out.probability!.data as Float32Array;
}

describe('500 concurrent requests', () => {
  it('answers every one correctly, each with its own rows, across two models', async () => {
    const requests = Array.from({ length: 500 }, (_, i) => {
      if (i % 10 === 9) {
        made.xray.success++;
        const image = Array.from({ length: 784 }, (_, k) => ((k * (i + 1)) % 97) / 97);
        return postJson(`${server.url}/v2/models/chest-xray-pneumonia/infer`, { id: `x${i}`, inputs: [{ name: 'image', shape: [1, 1, 28, 28], datatype: 'FP32', data: image }] })
          .then((r) => ({ i, kind: 'xray' as const, r }));
      }
      const n = 1 + (i % 3);
      const rows = Array.from({ length: n }, (_, k) => row(i * 3 + k));
      rowsSent += n;
      made.heart.success++;
      return postJson(`${server.url}/v2/models/heart-disease-risk/infer`, { id: `h${i}`, inputs: [{ name: 'features', shape: [n, 13], datatype: 'FP32', data: rows }] })
        .then((r) => ({ i, kind: 'heart' as const, r, rows }));
    });
    const results = await Promise.all(requests);
    expect(results).toHaveLength(500);
    for (const { i, kind, r } of results) {
      expect(r.status, `request ${i}`).toBe(200);
      expect(r.json.id).toBe(`${kind === 'xray' ? 'x' : 'h'}${i}`);
    }
    const heart = results.filter((x) => x.kind === 'heart') as { r: any; rows: number[][] }[];
    const expected = await expectedProbabilities(heart.flatMap((h) => h.rows));
    const got = heart.flatMap((h) => h.r.json.outputs[0].data as number[]);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
  });
});

describe('/metrics', () => {
  it('counts exactly the requests made, by outcome', async () => {
    const bad = await postJson(`${server.url}/v2/models/heart-disease-risk/infer`, { inputs: [{ name: 'features', shape: [1, 12], datatype: 'FP32', data: new Array(12).fill(0) }] });
    expect(bad.status).toBe(400);
    made.heart.INVALID_INPUT++;
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
    expect(value(/clinfer_inference_requests_total\{model="heart-disease-risk",version="1",outcome="success"\} (\d+)/)).toBe(made.heart.success);
    expect(value(/clinfer_inference_requests_total\{model="heart-disease-risk",version="1",outcome="INVALID_INPUT"\} (\d+)/)).toBe(made.heart.INVALID_INPUT);
    expect(value(/clinfer_inference_requests_total\{model="chest-xray-pneumonia",version="1",outcome="success"\} (\d+)/)).toBe(made.xray.success);
    expect(value(/clinfer_inference_request_duration_seconds_count\{model="heart-disease-risk",version="1"\} (\d+)/)).toBe(made.heart.success + made.heart.INVALID_INPUT);
    expect(value(/clinfer_inference_queue_duration_seconds_count\{model="heart-disease-risk",version="1"\} (\d+)/)).toBe(made.heart.success);
    // Every row sent was executed exactly once, however the batcher grouped them.
    expect(value(/clinfer_inference_batch_size_sum\{model="heart-disease-risk",version="1"\} (\d+)/)).toBe(rowsSent);
    expect(value(/clinfer_inference_pending_requests\{model="heart-disease-risk",version="1"\} (\d+)/)).toBe(0);
    expect(value(/clinfer_model_state\{model="heart-disease-risk",version="1",state="READY"\} (\d+)/)).toBe(1);
    expect(value(/clinfer_model_execution_provider\{model="heart-disease-risk",version="1",provider="cpu"\} (\d+)/)).toBe(1);
    expect(text).toMatch(/clinfer_model_load_duration_seconds_count\{model="chest-xray-pneumonia",version="1"\} 1/);
    expect(text).toMatch(/process_cpu_seconds_total/);
  });
});
