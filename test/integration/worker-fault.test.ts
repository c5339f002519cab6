import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody } from '../helpers/binary.js';
import { FIXTURES, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Worker threads that die. A real fault: each worker's heap is capped (workerMaxHeapMb) and a request
 * carrying 48 MB of strings blows it, so the worker dies holding that request. It must be answered,
 * the worker replaced, and the other requests served.
 */
let server: ClinferServer;
const repo = new TempRepository().add('identity', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/identity_all_types.onnx') } });

const JSON_TYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP32', 'FP64', 'BYTES'];

/** Every input of the identity model; FP16 has no JSON form, so it travels as binary data. */
async function infer(strings: string[], outputs = ['out_int32']) {
  const header = {
    inputs: [
      ...JSON_TYPES.map((t) => ({
        name: `in_${t.toLowerCase()}`, shape: [1, 3], datatype: t,
        data: t === 'BYTES' ? strings : t === 'BOOL' ? [true, false, true] : [1, 2, 3],
      })),
      { name: 'in_fp16', shape: [1, 3], datatype: 'FP16', parameters: { binary_data_size: 6 } },
    ],
    // The outputs asked for are part of the batch key: the huge request never shares a batch.
    outputs: outputs.map((name) => ({ name })),
  };
  const { body, headerLength } = binaryBody(header, new Uint16Array([0x3c00, 0x4000, 0x4200]));
  const res = await fetch(`${server.url}/v2/models/identity/infer`, { method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength) } });
  return { status: res.status, json: (await res.json()) as any };
}

beforeAll(async () => {
  server = await startTestServer(repo.root, { workerMaxHeapMb: 32, maxBodyBytes: 128 * 1024 * 1024 });
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

describe('a worker that dies', () => {
  it('answers the request it held with WORKER_EXITED, is replaced, and the server keeps answering', async () => {
    const small = () => infer(['a', 'b', 'c']);
    const huge = 'x'.repeat(16 * 1024 * 1024);
    const results = await Promise.all([small(), infer([huge, huge, huge], ['out_int32', 'out_bool']), small()]);
    expect(results[0]!.status).toBe(200);
    expect(results[2]!.status).toBe(200);
    expect(results[1]!.status).toBe(503);
    expect(results[1]!.json).toMatchObject({ code: 'WORKER_EXITED', error: expect.stringMatching(/retry/) });
    const after = await Promise.all(Array.from({ length: 8 }, small));
    expect(after.map((r) => r.status)).toEqual(new Array(8).fill(200));
    expect(after[0]!.json.outputs[0].data).toEqual([1, 2, 3]);
    expect(server.pool.threads.length).toBe(2);
  });

  it('replaces a worker terminated while idle', async () => {
    const victim = server.pool.threads[0]!;
    await victim.terminate();
    await new Promise((r) => setTimeout(r, 50));
    const after = await Promise.all(Array.from({ length: 6 }, () => infer(['a', 'b', 'c'])));
    expect(after.map((r) => r.status)).toEqual(new Array(6).fill(200));
    expect(server.pool.threads.length).toBe(2);
  });
});
