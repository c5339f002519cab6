import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryBody } from '../helpers/binary.js';
import { startTestServer, TempRepository, THIRD_PARTY } from '../helpers/server.js';

/** Graceful shutdown: readiness false at once, new work refused with 503, accepted work answered. */
describe('shutdown', () => {
  it('drains: in-flight requests finish, new ones are refused, readiness is false', async () => {
    const repo = new TempRepository().add('sr', '1', { 'model.onnx': { copy: join(THIRD_PARTY, 'super_resolution/model.onnx') } });
    const server = await startTestServer(repo.root);
    const data = new Float32Array(4 * 224 * 224).fill(0.5);
    const request = () => {
      const { body, headerLength } = binaryBody({ inputs: [{ name: 'input', shape: [4, 1, 224, 224], datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }], outputs: [{ name: 'output', parameters: { binary_data: true } }] }, data);
      return fetch(`${server.url}/v2/models/sr/infer`, { method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength) } });
    };
    try {
      // Open keep-alive connections first, so that requests can still reach the draining server.
      expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
      const inflight = [request(), request(), request()];
      for (let i = 0; i < 100; i++) {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        if (/clinfer_inference_pending_requests\{model="sr",version="1"\} 3/.test(text)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const closing = server.close();
      // New work is refused: the connection is refused, or answered 503 SERVER_SHUTTING_DOWN.
      const ready = await fetch(`${server.url}/v2/health/ready`).then((r) => r.status, () => 'refused');
      expect([503, 'refused']).toContain(ready);
      const late = await request().then(async (r) => `${r.status} ${((await r.json()) as any).code}`, () => 'refused');
      expect(['503 SERVER_SHUTTING_DOWN', 'refused']).toContain(late);
      expect((await Promise.all(inflight)).map((r) => r.status)).toEqual([200, 200, 200]);
      await closing;
    } finally {
      await server.close();
      repo.remove();
    }
  });
});
