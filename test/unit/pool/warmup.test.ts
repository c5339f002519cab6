import { describe, expect, it } from 'vitest';
import type { ValueInfo, WireTensor } from '../../../runtime/pool/messages.js';
import { runWarmup, sampleFeeds, warmupFeeds, type WarmupSample } from '../../../runtime/pool/warmup.js';
import { parseNpy } from '../../../runtime/pool/warmup-sample.js';

const inputs: ValueInfo[] = [
  { name: 'audio', isTensor: true, type: 'float32', shape: [1, 'samples'] },
  { name: 'sr', isTensor: true, type: 'int64', shape: [1] },
];
const outputs: ValueInfo[] = [{ name: 'p', isTensor: true, type: 'float32', shape: [1] }, { name: 'zip', isTensor: false }];

/** A .npy file (version 1.0) as numpy.save writes it. */
function npy(descr: string, shape: number[], data: ArrayBufferView): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
const files = (map: Record<string, Buffer>) => (path: string) => {
  if (!map[path]) throw new Error(`ENOENT ${path}`);
  return map[path]!;
};
const sample = (given: WarmupSample['inputs']): WarmupSample => ({ label: '[0]', inputs: given });

describe('declared warm-up samples', () => {
  it('decode .npy, raw little-endian and inline values to the graph input types', () => {
    const pcm = Float32Array.from([0.5, -1, 2, 0.25]);
    const fromNpy = sampleFeeds(inputs, sample({ audio: { shape: [1, 4], fileName: 'a.npy', path: '/a.npy' }, sr: { shape: [1], data: [16000] } }), files({ '/a.npy': npy('<f4', [1, 4], pcm) }));
    expect(fromNpy.map((f) => [f.name, f.type, f.dims])).toEqual([['audio', 'float32', [1, 4]], ['sr', 'int64', [1]]]);
    expect(Array.from(fromNpy[0]!.data as Float32Array)).toEqual([0.5, -1, 2, 0.25]);
    expect(fromNpy[1]!.data).toEqual(BigInt64Array.from([16000n]));
    const raw = Buffer.from(BigInt64Array.from([8000n]).buffer);
    const fromRaw = sampleFeeds(inputs, sample({ audio: { shape: [1, 2], data: [1, 2] }, sr: { shape: [1], fileName: 'sr.bin', path: '/sr.bin' } }), files({ '/sr.bin': raw }));
    expect(fromRaw[1]!.data).toEqual(BigInt64Array.from([8000n]));
    expect(parseNpy(npy('<i8', [3], BigInt64Array.from([1n, 2n, 3n])), 'x').shape).toEqual([3]);
  });

  it('name what is wrong: a missing or unknown input, a fixed dimension, sizes, dtypes, non-integers', () => {
    const ok = { audio: { shape: [1, 2], data: [1, 2] }, sr: { shape: [1], data: [16000] } };
    const none = files({});
    expect(() => sampleFeeds(inputs, sample({ audio: ok.audio }), none)).toThrow("gives no value for graph input 'sr'");
    // Graph input names are only the sample's own keys: 'constructor' is not given just because Object has one.
    expect(() => sampleFeeds([{ name: 'constructor', isTensor: true, type: 'float32', shape: [1] }], sample({}), none)).toThrow("gives no value for graph input 'constructor'");
    expect(() => sampleFeeds(inputs, sample({ ...ok, rate: ok.sr }), none)).toThrow("input 'rate' is not an input of the graph (it has audio, sr)");
    expect(() => sampleFeeds(inputs, sample({ ...ok, audio: { shape: [2, 2], data: [1, 2, 3, 4] } }), none)).toThrow("input 'audio': dimension 0 is 2, the graph fixes it at 1");
    expect(() => sampleFeeds(inputs, sample({ ...ok, audio: { shape: [1, 3], data: [1, 2] } }), none)).toThrow("input 'audio': data holds 2 values, shape [1,3] needs 3");
    expect(() => sampleFeeds(inputs, sample({ ...ok, sr: { shape: [1], data: [16000.5] } }), none)).toThrow("input 'sr': data[0] is 16000.5, expected an integer for int64");
    expect(() => sampleFeeds(inputs, sample({ ...ok, sr: { shape: [1], fileName: 'sr.npy', path: '/sr.npy' } }), files({ '/sr.npy': npy('<i4', [1], Int32Array.from([1])) })))
      .toThrow("input 'sr': file 'sr.npy' holds dtype '<i4', the graph input is int64 (<i8)");
    expect(() => sampleFeeds(inputs, sample({ ...ok, audio: { shape: [1, 2], fileName: 'a.npy', path: '/a.npy' } }), files({ '/a.npy': npy('<f4', [2, 1], Float32Array.from([1, 2])) })))
      .toThrow("input 'audio': file 'a.npy' has shape [2,1], the sample declares [1,2]");
    expect(() => sampleFeeds(inputs, sample({ ...ok, audio: { shape: [1, 2], fileName: 'a.raw', path: '/a.raw' } }), files({ '/a.raw': Buffer.alloc(7) })))
      .toThrow("input 'audio': file 'a.raw' holds 7 bytes, shape [1,2] of float32 needs 8");
    expect(() => parseNpy(Buffer.from('not numpy at all'), "file 'x.npy'")).toThrow("file 'x.npy' is not a .npy file");
  });
});

describe('runWarmup', () => {
  const runs: WireTensor[][] = [];
  const run = async (feeds: WireTensor[], fetches: string[]) => {
    expect(fetches).toEqual(['p']);
    runs.push(feeds);
    if ((feeds[0]!.dims[1] ?? 0) < 100) throw new Error('Pad reflect: pre-pad (64) exceeds maximum allowed (31)\n at somewhere');
  };

  it('runs every declared sample, and reports the first failure with its sample', async () => {
    runs.length = 0;
    const plan = { kind: 'samples' as const, samples: [
      { label: "'long'", inputs: { audio: { shape: [1, 200], data: new Array(200).fill(0) }, sr: { shape: [1], data: [16000] } } },
      { label: "'short'", inputs: { audio: { shape: [1, 10], data: new Array(10).fill(0) }, sr: { shape: [1], data: [16000] } } },
    ] };
    const outcome = await runWarmup(plan, inputs, outputs, run, files({}));
    expect(runs.map((f) => f[0]!.dims)).toEqual([[1, 200], [1, 10]]);
    expect(outcome.warmupError).toBe("warmup sample 'short': Pad reflect: pre-pad (64) exceeds maximum allowed (31)");
  });

  it('synthetic: zeros with 32 for dynamic dims (or the bundle shapes); off: nothing runs', async () => {
    runs.length = 0;
    expect((await runWarmup({ kind: 'synthetic', shapes: {} }, inputs, outputs, run, files({}))).warmupError).toMatch(/^synthetic warm-up \(zeros\): Pad reflect/);
    expect(runs[0]!.map((f) => f.dims)).toEqual([[1, 32], [1]]);
    expect((await runWarmup({ kind: 'synthetic', shapes: { audio: [1, 400] } }, inputs, outputs, run, files({}))).warmupError).toBeUndefined();
    expect(await runWarmup({ kind: 'off' }, inputs, outputs, run, files({}))).toEqual({ warmupMs: expect.any(Number) });
    expect(runs).toHaveLength(2);
    expect(warmupFeeds([{ name: 'toString', isTensor: true, type: 'float32', shape: [-1, 3] }], {})[0]!.dims).toEqual([1, 3]);
  });
});
