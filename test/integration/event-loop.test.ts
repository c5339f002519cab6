import { execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * The event loop never stalls: while one caller sends a hostile body, every other caller keeps being
 * answered. This is the one test that bounds a latency (issue 13 asks for it). It is measured twice: by
 * the server itself (clinfer_event_loop_lag_seconds: no stall of a second or more during the attack) and
 * by four concurrent /v2/health/live probe loops (p99 under 250 ms, none over 1 s). The target is
 * 100 ms; the bounds here are looser because this machine has 2 cores shared by several sessions (load
 * average 13 was seen) that starve any thread now and then: quiet runs measure p99 30-80 ms. They still
 * fail by far on the stalls the test exists for: 21 s in JSON.parse for the nested body, 2 s for the flat
 * one, 8.7 s for the gzip bomb before these changes.
 */
const heartModel = { copy: join(DEMO_MODELS, 'heart-disease-risk', '1', 'model.onnx') };
const repo = new TempRepository().add('heart', '1', { 'model.onnx': heartModel });
let server: ClinferServer;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startTestServer(repo.root, {}, logLines);
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

/** Buckets of clinfer_event_loop_lag_seconds (le -> cumulative count), read from /metrics. */
async function lagBuckets(): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^clinfer_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Runs `attack` while 4 loops probe /v2/health/live; gives the probes' latencies (ms) and the lag samples (over 1 s). */
async function underAttack<T>(attack: () => Promise<T>): Promise<{ result: T; probes: number[]; lagOver1s: number; lagSamples: number }> {
  const before = await lagBuckets();
  let done = false;
  const probes: number[] = [];
  const probe = async () => {
    while (!done) {
      const started = performance.now();
      await (await fetch(`${server.url}/v2/health/live`)).text();
      probes.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const loops = [probe(), probe(), probe(), probe()];
  const result = await attack().finally(() => { done = true; });
  await Promise.all(loops);
  const after = await lagBuckets();
  const delta = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  return { result, probes, lagOver1s: delta('+Inf') - delta('1'), lagSamples: delta('+Inf') };
}

/**
 * Sends a body from another process (as a real attacker would: the body's building and sending must not
 * load this process's event loop, which also runs the server). `makeBody` is JavaScript source giving a string or a Buffer.
 */
function attackFrom(method: string, path: string, contentType: string, makeBody: string): Promise<{ status: number; json: { code: string; error: string } }> {
  const script = `
    const body = Buffer.from(${makeBody});
    process.stdout.write('built\\n');
    const req = require('node:http').request(process.argv[1], { method: '${method}', headers: { 'content-type': '${contentType}', 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, json: JSON.parse(text) })));
    });
    req.end(body);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, `${server.url}${path}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice(out.indexOf('\n') + 1))) : reject(new Error(`attacker exited ${code}`))));
  });
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)]!;

describe('a hostile infer body', () => {
  // First: it also starts the parsing thread (once per server, on first use), which is not what the
  // attacks below measure.
  it('a large valid JSON request parsed on a thread gives the same answer as a small one', async () => {
    // 200 rows of 13 features, padded with whitespace past the inline threshold (1 MiB): the thread path.
    const row = [63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6];
    const request = (rows: number, pad: number) => `{"inputs":[{"name":"features","shape":[${rows},13],"datatype":"FP32","data":${JSON.stringify(Array.from({ length: rows }, () => row))}}]${' '.repeat(pad)}}`;
    const infer = async (body: string) => (await fetch(`${server.url}/v2/models/heart/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((r) => r.json())) as { outputs: { name: string; data: number[] }[] };
    const small = await infer(request(1, 0));
    const large = await infer(request(1, 2 * 1024 * 1024));
    expect(large.outputs).toEqual(small.outputs);
  });

  it('60 MB of nested JSON: refused 400 (nesting), while other requests are answered', async () => {
    const make = `'{"inputs":[{"name":"features","shape":[1,13],"datatype":"FP32","data":' + '['.repeat(30e6) + ']'.repeat(30e6) + '}]}'`;
    const { result, probes, lagOver1s, lagSamples } = await underAttack(() => attackFrom('POST', '/v2/models/heart/infer', 'application/json', make));
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ code: 'INVALID_REQUEST', error: expect.stringMatching(/deeper than 64 levels/) });
    console.log(`nested JSON: ${probes.length} probes, p99 ${p99(probes).toFixed(1)} ms, max ${Math.max(...probes).toFixed(1)} ms; ${lagSamples} lag samples, ${lagOver1s} over 1 s`);
    expect(probes.length).toBeGreaterThan(20);
    expect(p99(probes)).toBeLessThan(250);
    expect(Math.max(...probes)).toBeLessThan(1000);
    expect(lagOver1s).toBe(0);
  });

  it('60 MB of flat JSON data: parsed off the event loop (then refused for its shape), while other requests are answered', async () => {
    const make = `'{"inputs":[{"name":"features","shape":[1,13],"datatype":"FP32","data":[' + Array.from({ length: 12e6 }, (_, i) => i % 1000).join(',') + ']}]}'`;
    const { result, probes, lagOver1s, lagSamples } = await underAttack(() => attackFrom('POST', '/v2/models/heart/infer', 'application/json', make));
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ code: 'INVALID_INPUT', error: expect.stringMatching(/data holds 12000000 elements, shape \[1,13\] needs 13/) });
    console.log(`flat JSON: ${probes.length} probes, p99 ${p99(probes).toFixed(1)} ms, max ${Math.max(...probes).toFixed(1)} ms; ${lagSamples} lag samples, ${lagOver1s} over 1 s`);
    expect(probes.length).toBeGreaterThan(20);
    expect(p99(probes)).toBeLessThan(250);
    expect(Math.max(...probes)).toBeLessThan(1000);
    expect(lagOver1s).toBe(0);
  });

});

describe('a hostile bundle', () => {
  it('a gzip bomb deployed through the API (a 1 GiB file of zeros, about 1 MB packed): refused 400, while other requests are answered', async () => {
    const bomb = join(repo.root, 'bomb.tar.gz'); // a file at the repository's root is not a model
    // Written by another process, before the attack: a tar header for model.onnx of 1 GiB, then 1 GiB of zeros.
    execFileSync(process.execPath, ['-e', `
      const zlib = require('node:zlib'), fs = require('node:fs');
      const h = Buffer.alloc(512);
      h.write('model.onnx', 0); h.write('0000644\\0', 100); h.write((2 ** 30).toString(8).padStart(11, '0') + '\\0', 124);
      h.write('00000000000\\0', 136); h.write('        ', 148); h.write('0', 156); h.write('ustar\\0', 257);
      h.write(h.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0') + '\\0 ', 148);
      const gz = zlib.createGzip({ level: 9 });
      gz.pipe(fs.createWriteStream(process.argv[1]));
      gz.write(h);
      const zero = Buffer.alloc(1 << 20);
      let i = 0;
      (function more() { while (i < 1024) { i++; if (!gz.write(zero)) return void gz.once('drain', more); } gz.end(); })();`, bomb]);
    expect(statSync(bomb).size).toBeLessThan(2 * 1024 * 1024);
    const { result, probes, lagOver1s, lagSamples } = await underAttack(() => attackFrom('PUT', '/v2/repository/models/bomb/versions/1', 'application/gzip', `require('node:fs').readFileSync(${JSON.stringify(bomb)})`));
    expect(result.status).toBe(400);
    expect(result.json).toMatchObject({ code: 'BUNDLE_INVALID', error: expect.stringMatching(/unpacks to more than 200 times its \d+ bytes/) });
    console.log(`gzip bomb: ${probes.length} probes, p99 ${p99(probes).toFixed(1)} ms, max ${Math.max(...probes).toFixed(1)} ms; ${lagSamples} lag samples, ${lagOver1s} over 1 s`);
    expect(probes.length).toBeGreaterThan(20);
    expect(p99(probes)).toBeLessThan(250);
    expect(Math.max(...probes)).toBeLessThan(1000);
    expect(lagOver1s).toBe(0);
  });
});
