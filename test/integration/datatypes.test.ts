import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody, readBinaryResponse } from '../helpers/binary.js';
import { FIXTURES, startTestServer, TempRepository } from '../helpers/server.js';

/** Every protocol datatype through a real graph (Identity per type), as JSON and as binary tensor data. */
let server: ClinferServer;
const repo = new TempRepository().add('identity', '1', { 'model.onnx': { copy: join(FIXTURES, 'generated/identity_all_types.onnx') } });

beforeAll(async () => {
  server = await startTestServer(repo.root);
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

const VALUES: Record<string, { json?: unknown[]; bytes: Uint8Array }> = {
  BOOL: { json: [true, false, true, false, false, true], bytes: new Uint8Array([1, 0, 1, 0, 0, 1]) },
  UINT8: { json: [0, 1, 255, 7, 8, 9], bytes: new Uint8Array([0, 1, 255, 7, 8, 9]) },
  UINT16: { json: [0, 65535, 2, 3, 4, 5], bytes: new Uint8Array(new Uint16Array([0, 65535, 2, 3, 4, 5]).buffer) },
  UINT32: { json: [0, 4294967295, 2, 3, 4, 5], bytes: new Uint8Array(new Uint32Array([0, 4294967295, 2, 3, 4, 5]).buffer) },
  UINT64: { json: [0, 9007199254740991, 2, 3, 4, 5], bytes: new Uint8Array(new BigUint64Array([0n, 9007199254740991n, 2n, 3n, 4n, 5n]).buffer) },
  INT8: { json: [-128, 127, 0, -1, 1, 2], bytes: new Uint8Array(new Int8Array([-128, 127, 0, -1, 1, 2]).buffer) },
  INT16: { json: [-32768, 32767, 0, -1, 1, 2], bytes: new Uint8Array(new Int16Array([-32768, 32767, 0, -1, 1, 2]).buffer) },
  INT32: { json: [-2147483648, 2147483647, 0, -1, 1, 2], bytes: new Uint8Array(new Int32Array([-2147483648, 2147483647, 0, -1, 1, 2]).buffer) },
  INT64: { json: [-9007199254740991, 9007199254740991, 0, -1, 1, 2], bytes: new Uint8Array(new BigInt64Array([-9007199254740991n, 9007199254740991n, 0n, -1n, 1n, 2n]).buffer) },
  FP16: { bytes: new Uint8Array(new Uint16Array([0x3c00, 0x4000, 0xc200, 0x0000, 0x7c00, 0x3555]).buffer) },
  FP32: { json: [1.5, -2.25, 0, 3.4028234663852886e38, 1e-30, 7], bytes: new Uint8Array(new Float32Array([1.5, -2.25, 0, 3.4028234663852886e38, 1e-30, 7]).buffer) },
  FP64: { json: [1.1, -2.2, 0, 1e300, 5e-324, 7], bytes: new Uint8Array(new Float64Array([1.1, -2.2, 0, 1e300, 5e-324, 7]).buffer) },
  BYTES: { json: ['a', 'bé', '', 'x y', '🫀', 'z'], bytes: bytesElements(['a', 'bé', '', 'x y', '🫀', 'z']) },
};

function bytesElements(strings: string[]): Uint8Array {
  return Buffer.concat(strings.flatMap((s) => {
    const b = Buffer.from(s, 'utf8');
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.byteLength);
    return [n, b];
  }));
}

async function inferAll(binaryInputs: boolean, binaryOutputs: boolean) {
  const chunks: Uint8Array[] = [];
  const inputs = Object.entries(VALUES).map(([t, v]) => {
    const base = { name: `in_${t.toLowerCase()}`, shape: [2, 3], datatype: t };
    if (binaryInputs || !v.json) {
      chunks.push(v.bytes);
      return { ...base, parameters: { binary_data_size: v.bytes.byteLength } };
    }
    return { ...base, data: v.json };
  });
  const { body, headerLength } = binaryBody({ inputs, parameters: { binary_data_output: binaryOutputs } }, ...chunks);
  const res = await fetch(`${server.url}/v2/models/identity/infer`, { method: 'POST', body, headers: { 'inference-header-content-length': String(headerLength) } });
  expect(res.status).toBe(200);
  return readBinaryResponse(res);
}

describe('datatypes', () => {
  it('auto-fills every datatype from the graph', async () => {
    const meta: any = await (await fetch(`${server.url}/v2/models/identity`)).json();
    expect(meta.inputs.map((i: any) => i.datatype)).toEqual(Object.keys(VALUES));
    expect(meta.max_batch_size).toBeGreaterThan(1);
  });

  it('round-trips every datatype as JSON (FP16 as binary: JSON has no half floats)', async () => {
    const { json } = await inferAll(false, false);
    for (const [t, v] of Object.entries(VALUES)) {
      const out = json.outputs.find((o: any) => o.name === `out_${t.toLowerCase()}`);
      expect(out, t).toMatchObject({ datatype: t, shape: [2, 3] });
      if (t === 'FP16') expect(out.data).toEqual([1, 2, -3, 0, Infinity, expect.closeTo(0.333, 3)].map((x) => (x === Infinity ? null : x)));
      else if (t === 'FP32') expect(out.data).toEqual(Array.from(new Float32Array(v.json as number[])));
      else expect(out.data, t).toEqual(v.json);
    }
  });

  it('round-trips every datatype byte for byte as binary tensor data', async () => {
    const { json, rest } = await inferAll(true, true);
    let offset = 0;
    for (const out of json.outputs) {
      const t = out.datatype as string;
      const size = out.parameters.binary_data_size;
      expect(Buffer.compare(rest.subarray(offset, offset + size), Buffer.from(VALUES[t]!.bytes)), t).toBe(0);
      offset += size;
    }
    expect(offset).toBe(rest.byteLength);
  });
});
