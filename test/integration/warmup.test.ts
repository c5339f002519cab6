import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCommand } from '../../runtime/cli/bundle-command.js';
import type { ClinferServer } from '../../runtime/server.js';
import { bundleJson } from '../helpers/bundle.js';
import { metricValue } from '../helpers/metrics.js';
import { FIXTURES, getJson, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Warm-up that serves every valid model. stateful_vad.onnx (make_stateful_vad.py) reflect-pads its
 * audio by 64 samples and takes a sample rate and a GRU state: zeros with a guessed 32 samples fail
 * (before this change the model ended UNAVAILABLE: "Pad reflect: pre-pad (64) exceeds maximum allowed
 * (31)"), though the model is valid. Declared samples make it warm up for real.
 */
const MODEL = join(FIXTURES, 'generated/stateful_vad.onnx');
const AUDIO_NPY = join(FIXTURES, 'generated/stateful_vad_warmup_audio.npy');
const HIDDEN = 16;
const sample = (inputs: Record<string, unknown>) => ({ warmup: { samples: [{ name: 'speech', inputs }] } });
const declared = {
  audio: { shape: [1, 512], file: 'warmup/audio.npy' },
  sr: { shape: [1], data: [16000] },
  h_in: { shape: [1, 1, HIDDEN], data: new Array(HIDDEN).fill(0) },
};

const repo = new TempRepository()
  .add('vad-bare', '1', { 'model.onnx': { copy: MODEL } })
  // Two samples of different lengths: a .npy file and inline values.
  .add('vad', '1', { 'model.onnx': { copy: MODEL }, 'warmup/audio.npy': { copy: AUDIO_NPY }, 'bundle.json': bundleJson('vad', '1', MODEL, {
    warmup: { samples: [{ name: 'speech', inputs: declared }, { name: 'short', inputs: { ...declared, audio: { shape: [1, 160], data: new Array(160).fill(0.01) } } }] },
  }) })
  .add('vad-bad-sample', '1', { 'model.onnx': { copy: MODEL }, 'bundle.json': bundleJson('vad-bad-sample', '1', MODEL, sample({ ...declared, audio: { shape: [1, 32], data: new Array(32).fill(0) } })) })
  .add('vad-missing-file', '1', { 'model.onnx': { copy: MODEL }, 'bundle.json': bundleJson('vad-missing-file', '1', MODEL, sample(declared)) })
  .add('vad-wrong-dtype', '1', { 'model.onnx': { copy: MODEL }, 'a.npy': { copy: AUDIO_NPY }, 'warmup/audio.npy': { copy: AUDIO_NPY }, 'bundle.json': bundleJson('vad-wrong-dtype', '1', MODEL, sample({ ...declared, sr: { shape: [1], file: 'a.npy' } })) })
  .add('vad-off', '1', { 'model.onnx': { copy: MODEL }, 'bundle.json': bundleJson('vad-off', '1', MODEL, { warmup: false }) });
// A sample file that is a symbolic link to a file outside the version folder.
repo.add('vad-link', '1', { 'model.onnx': { copy: MODEL }, 'bundle.json': bundleJson('vad-link', '1', MODEL, sample(declared)) }).mkdir('vad-link/1/warmup');
symlinkSync(AUDIO_NPY, join(repo.root, 'vad-link/1/warmup/audio.npy'));
let server: ClinferServer;
let session: ort.InferenceSession;

beforeAll(async () => {
  server = await startTestServer(repo.root, { strictReadiness: false });
  session = await ort.InferenceSession.create(MODEL);
});
afterAll(async () => {
  await server?.close();
  await session?.release();
  repo.remove();
});

const ready = (model: string) => getJson(`${server.url}/v2/models/${model}/versions/1/ready`);

/** Seeded speech-like noise (no Math.random: the comparison must be reproducible). */
function audio(samples: number, seed: number): Float32Array {
  const out = new Float32Array(samples);
  let s = seed;
  for (let i = 0; i < samples; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = Math.fround(((s / 2147483648) - 0.5) * 0.2 * Math.sin(i / 40));
  }
  return out;
}

async function serve(model: string, pcm: Float32Array, h: Float32Array) {
  const res = await postJson(`${server.url}/v2/models/${model}/infer`, {
    inputs: [
      { name: 'audio', datatype: 'FP32', shape: [1, pcm.length], data: Array.from(pcm) },
      { name: 'sr', datatype: 'INT64', shape: [1], data: [16000] },
      { name: 'h_in', datatype: 'FP32', shape: [1, 1, HIDDEN], data: Array.from(h) },
    ],
  });
  expect(res.status, res.text).toBe(200);
  const out = (name: string) => res.json.outputs.find((o: { name: string }) => o.name === name);
  return { prob: Float32Array.from(out('prob').data as number[]), h: Float32Array.from(out('h_out').data as number[]), shape: out('h_out').shape };
}

async function direct(pcm: Float32Array, h: Float32Array) {
  const r = await session.run({
    audio: new ort.Tensor('float32', pcm, [1, pcm.length]),
    sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), [1]),
    h_in: new ort.Tensor('float32', h, [1, 1, HIDDEN]),
  });
  return { prob: r.prob!.data as Float32Array, h: r.h_out!.data as Float32Array };
}

describe('declared warm-up samples', () => {
  it('make the stateful STFT + GRU model READY, and it serves what ONNX Runtime computes, state carried over calls', async () => {
    expect((await ready('vad')).json).toMatchObject({ ready: true, state: 'READY' });
    const meta = (await getJson(`${server.url}/v2/models/vad`)).json;
    expect(meta.warmup).toEqual({ status: 'ok', source: 'samples', samples: 2 });
    let hServed: Float32Array = new Float32Array(HIDDEN);
    let hDirect: Float32Array = new Float32Array(HIDDEN);
    for (const [i, length] of [800, 1600, 129].entries()) {
      const pcm = audio(length, 7 + i);
      const served = await serve('vad', pcm, hServed);
      const expected = await direct(pcm, hDirect);
      // Same inputs, same graph: the outputs agree to the last bit or within 1e-6.
      for (const [a, b] of [[served.prob, expected.prob], [served.h, expected.h]] as const) {
        expect(a.length).toBe(b.length);
        a.forEach((v, k) => expect(Math.abs(v - b[k]!)).toBeLessThanOrEqual(1e-6));
      }
      expect(served.shape).toEqual([1, 1, HIDDEN]);
      hServed = served.h;
      hDirect = expected.h;
    }
    expect(hServed.some((v) => v !== 0)).toBe(true);
  });

  it('that fail make the bundle UNAVAILABLE, naming the sample and what the model said', async () => {
    const r = (await ready('vad-bad-sample')).json;
    expect(r.state).toBe('UNAVAILABLE');
    expect(r.reason).toMatch(/declared warm-up failed: warmup sample 'speech': .*Pad/);
  });

  it('refer to files that must exist in the version folder', async () => {
    const r = (await ready('vad-missing-file')).json;
    expect(r.state).toBe('UNAVAILABLE');
    expect(r.reason).toMatch(/field 'warmup\.samples\[0\]\.inputs\.audio\.file': 'warmup\/audio\.npy' is not a file/);
  });

  it('may not be symbolic links', async () => {
    const r = (await ready('vad-link')).json;
    expect(r.state).toBe('UNAVAILABLE');
    expect(r.reason).toMatch(/symbolic link/);
  });

  it('in .npy must hold the graph input\'s dtype', async () => {
    const r = (await ready('vad-wrong-dtype')).json;
    expect(r.state).toBe('UNAVAILABLE');
    expect(r.reason).toMatch(/input 'sr': file 'a\.npy' holds dtype '<f4', the graph input is int64/);
  });
});

describe('without declared samples', () => {
  it('a bare model whose synthetic warm-up fails is READY, says why in its metadata and a metric, and serves', async () => {
    expect((await ready('vad-bare')).json).toMatchObject({ ready: true, state: 'READY' });
    const meta = (await getJson(`${server.url}/v2/models/vad-bare`)).json;
    expect(meta.warmup).toMatchObject({ status: 'failed', source: 'synthetic' });
    expect(meta.warmup.reason).toMatch(/synthetic warm-up \(zeros\): .*Pad reflect/);
    expect(await metricValue(server.url, 'clinfer_model_warmup_failures_total', { model: 'vad-bare', version: '1' })).toBe(1);
    expect(await metricValue(server.url, 'clinfer_model_warmup_failures_total', { model: 'vad', version: '1' })).toBe(0);
    const pcm = audio(400, 3);
    const served = await serve('vad-bare', pcm, new Float32Array(HIDDEN));
    expect(Array.from(served.prob)).toEqual(Array.from((await direct(pcm, new Float32Array(HIDDEN))).prob));
  });

  it('warmup: false skips it', async () => {
    expect((await ready('vad-off')).json).toMatchObject({ ready: true, state: 'READY' });
    expect((await getJson(`${server.url}/v2/models/vad-off`)).json.warmup).toEqual({ status: 'skipped', source: 'off', samples: 0 });
  });

  it('a too-short real request to the bare model is its own clear error, not a 5xx with a stack', async () => {
    const res = await postJson(`${server.url}/v2/models/vad-bare/infer`, {
      inputs: [
        { name: 'audio', datatype: 'FP32', shape: [1, 16], data: new Array(16).fill(0) },
        { name: 'sr', datatype: 'INT64', shape: [1], data: [16000] },
        { name: 'h_in', datatype: 'FP32', shape: [1, 1, HIDDEN], data: new Array(HIDDEN).fill(0) },
      ],
    });
    expect(res.json.code).toBe('INFERENCE_FAILED');
    expect(res.json.error).toMatch(/Pad reflect/);
    expect(res.json.error).not.toMatch(/\n\s+at /);
  });
});

describe('clinfer bundle validate', () => {
  const validate = async (model: string) => {
    const out = { log: [] as string[], err: [] as string[] };
    const code = await bundleCommand(['validate', join(repo.root, model, '1')], { log: (l) => out.log.push(l), err: (l) => out.err.push(l) });
    return { code, log: out.log.join('\n'), err: out.err.join('\n') };
  };

  it('runs the same warm-up as the server: declared samples must pass, a failed synthetic one warns', async () => {
    expect(await validate('vad')).toMatchObject({ code: 0, log: expect.stringMatching(/runs 2 warm-up sample\(s\)/) });
    const bad = await validate('vad-bad-sample');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/field 'warmup': warmup sample 'speech': .*Pad reflect/);
    const bare = await validate('vad-bare');
    expect(bare.code).toBe(0);
    expect(bare.err).toMatch(/warning: synthetic warm-up \(zeros\): .*Pad reflect.*declare warmup\.samples/);
    expect(bare.log).toMatch(/synthetic warm-up failed/);
  });
});
