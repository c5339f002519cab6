import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleCommand } from '../../runtime/cli/bundle-command.js';
import { bundleJson } from '../helpers/bundle.js';
import { untilMetric } from '../helpers/metrics.js';
import { FIXTURES, ROOT, TempRepository } from '../helpers/server.js';

/**
 * Issue 13's "done when", against the real CLI in its own process (two worker threads): a model that
 * never ends, deployed through the API next to the demo models, never stalls them.
 *
 * - loop_by_input.onnx loops `n` times: zeros warm it up at once, a request with a huge n runs for ever.
 *   Its run is abandoned at the bundle's execution.timeout_ms: the caller gets 504 EXECUTION_TIMEOUT,
 *   the version goes UNAVAILABLE with the reason, and the demo models answer all along and after.
 * - never_ending.onnx never ends, warm-up included: its deploy returns (400 naming loadTimeoutMs) while
 *   the demo models answer; the load probe process was killed.
 * - SIGTERM with a run stuck inside ONNX Runtime: its caller is answered 503 and the process exits
 *   within the grace period (hard: a thread inside ONNX Runtime cannot be joined).
 * - kill -9 during the deploy of a never-ending version 2: the next start is READY with version 1.
 */
const BIN = join(ROOT, 'bin/clinfer.mjs');
const GENERATED = join(FIXTURES, 'generated');
const LOOP = join(GENERATED, 'loop_by_input.onnx');
const NEVER = join(GENERATED, 'never_ending.onnx');
const GRACE_MS = 2000;
const work = mkdtempSync(join(tmpdir(), 'clinfer-isolation-'));
const repo = new TempRepository().addDemo('heart-disease-risk').addDemo('chest-xray-pneumonia');
const configFile = join(work, 'clinfer.json');
writeFileSync(configFile, JSON.stringify({
  models: repo.root, host: '127.0.0.1', port: 0, grpcPort: -1, workers: 2, logLevel: 'warn',
  // Generous: each version's load probe is a new process (about a second alone), and on 2 shared cores a never-
  // ending probe spins on one of them meanwhile; 4 s made a healthy model's probe time out on a loaded machine.
  loadTimeoutMs: 12_000, shutdownGraceMs: GRACE_MS, inboxDir: join(work, 'inbox'), outboxDir: join(work, 'outbox'),
}));
const children: ChildProcessWithoutNullStreams[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  repo.remove();
});

interface Serve {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly out: { stdout: string; stderr: string };
}

/** Starts `clinfer serve`; resolves once it listens and has reported every model's state. */
async function serve(config = configFile): Promise<Serve> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config], { env: { ...process.env, CLINFER_LOG_LEVEL: 'warn' } });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stderr.on('data', (d) => (out.stderr += d));
  child.stdout.on('data', (d) => (out.stdout += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const address = out.stdout.match(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/m)?.[1];
      if (address && /^model heart-disease-risk version 1: /m.test(out.stdout)) resolve(address);
    });
    void exited.then((e) => reject(new Error(`clinfer exited (${e.code ?? e.signal}) before serving; stderr: ${out.stderr.slice(-2000)}`)));
  });
  return { child, url, exited, out };
}

const quiet = { log: () => undefined, err: () => undefined };
/** A tar.gz bundle of `model` named name/version, with bundle.json `patch`. */
async function bundle(name: string, version: string, model: string, patch: Record<string, unknown> = {}): Promise<Buffer> {
  const dir = join(work, `${name}-${version}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  cpSync(model, join(dir, 'model.onnx'));
  writeFileSync(join(dir, 'bundle.json'), bundleJson(name, version, model, patch));
  const out = `${dir}.tar.gz`;
  expect(await bundleCommand(['pack', dir, '--out', out], quiet)).toBe(0);
  return readFileSync(out);
}

const put = (url: string, name: string, version: string, body: Buffer) =>
  fetch(`${url}/v2/repository/models/${name}/versions/${version}`, { method: 'PUT', body, headers: { 'content-type': 'application/gzip' } });
const post = async (url: string, path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as any };
};
const HEART_ROW = [63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, 0, 1];
const heart = (url: string) => post(url, '/v2/models/heart-disease-risk/infer', { inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: HEART_ROW }] });
const chest = (url: string) => post(url, '/v2/models/chest-xray-pneumonia/infer', { inputs: [{ name: 'image', shape: [1, 1, 28, 28], datatype: 'FP32', data: new Array(784).fill(0.5) }] });
/** loop_by_input: y = n for small n; n = 1e15 runs for ever (about 1 µs per iteration). */
const loop = (url: string, model: string, n: number) => post(url, `/v2/models/${model}/infer`, { inputs: [{ name: 'n', shape: [1], datatype: 'INT64', data: [n] }] });
const FOREVER = 1e15;
const index = async (url: string) => (await post(url, '/v2/repository/index', {})).json as { name: string; version: string; state: string; reason: string }[];

/** Calls the demo models one after the other until `until` settles; every answer is kept. */
async function demoTrafficUntil(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const statuses: number[] = [];
  while (!done) {
    statuses.push((await heart(url)).status, (await chest(url)).status);
  }
  return statuses;
}

describe('one model that never ends', () => {
  it('never stalls the demo models; its run is abandoned, the version UNAVAILABLE; SIGTERM exits; a restart after kill -9 is READY', async () => {
    // --- first process: the demo models, then the bad models deployed through the API.
    const a = await serve();
    expect((await heart(a.url)).status).toBe(200);
    expect((await put(a.url, 'loop', '1', await bundle('loop', '1', LOOP, { execution: { timeout_ms: 1500 } }))).status).toBe(201);
    expect((await loop(a.url, 'loop', 5)).json.outputs[0].data).toEqual([5]);

    // A run that never ends: abandoned at its timeout, 504 EXECUTION_TIMEOUT; the demo models answer all along.
    const stuck = loop(a.url, 'loop', FOREVER);
    const during = await demoTrafficUntil(a.url, stuck);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s === 200)).toBe(true);
    expect((await stuck).status).toBe(504);
    expect((await stuck).json).toMatchObject({ code: 'EXECUTION_TIMEOUT', error: expect.stringMatching(/execution timeout of 1500 ms/) });
    const loopState = (await index(a.url)).find((e) => e.name === 'loop' && e.version === '1')!;
    expect(loopState).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/execution timeout/) });
    expect((await loop(a.url, 'loop', 5)).json).toMatchObject({ code: 'MODEL_NOT_READY' });
    // The watchdog replaced the thread: both demo models still answer, and the stuck thread is counted.
    expect((await heart(a.url)).status).toBe(200);
    expect((await chest(a.url)).status).toBe(200);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/^clinfer_stuck_worker_threads 1$/m);
    expect(metrics).toMatch(/^clinfer_worker_threads_abandoned_total 1$/m);

    // A model whose warm-up never ends: the PUT returns, refused with the reason; demo traffic flows meanwhile.
    const deploy = put(a.url, 'never', '1', await bundle('never', '1', NEVER));
    const duringDeploy = await demoTrafficUntil(a.url, deploy);
    expect(duringDeploy.every((s) => s === 200)).toBe(true);
    const refused = await deploy;
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'BUNDLE_INVALID', error: expect.stringMatching(/loadTimeoutMs/) });
    expect((await heart(a.url)).status).toBe(200);

    // SIGTERM while a run is stuck inside ONNX Runtime (timeout far away): its caller gets 503, the process ends.
    expect((await put(a.url, 'slow', '1', await bundle('slow', '1', LOOP, { execution: { timeout_ms: 600_000 } }))).status).toBe(201);
    const abandoned = loop(a.url, 'slow', FOREVER);
    // Dispatched to its worker (the queue-wait histogram counts a request when it leaves the queue), not a
    // fixed pause that a loaded machine may not have spent getting there.
    await untilMetric(a.url, 'clinfer_inference_queue_duration_seconds_count', { model: 'slow', version: '1' }, (v) => v === 1);
    a.child.kill('SIGTERM');
    expect((await abandoned).status).toBe(503);
    expect((await abandoned).json).toMatchObject({ code: 'SERVER_SHUTTING_DOWN' });
    // Not a stopwatch: a process that hangs never exits; this bound only keeps the test from waiting for ever.
    const exit = await Promise.race([a.exited, new Promise((r) => setTimeout(() => r('still running'), GRACE_MS + 15_000))]);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(a.out.stdout).toMatch(/stuck inside ONNX Runtime: exiting hard/);

    // --- second process: kill -9 while the deploy of a never-ending version 2 of 'loop' is loading.
    const b = await serve();
    const killedDeploy = put(b.url, 'loop', '2', await bundle('loop', '2', NEVER)).catch(() => undefined);
    while (!existsSync(join(repo.root, 'loop', '2'))) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500)); // its load (the probe process) under way
    b.child.kill('SIGKILL');
    await b.exited;
    await killedDeploy;

    // --- third process: READY with the previous version; the never-ending one is UNAVAILABLE with its reason.
    const c = await serve();
    const states = await index(c.url);
    const state = (name: string, version: string) => states.find((e) => e.name === name && e.version === version);
    expect(state('heart-disease-risk', '1')).toMatchObject({ state: 'READY' });
    expect(state('chest-xray-pneumonia', '1')).toMatchObject({ state: 'READY' });
    expect(state('loop', '1')).toMatchObject({ state: 'READY' });
    expect(state('loop', '2')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/loadTimeoutMs/) });
    expect((await loop(c.url, 'loop', 7)).json.outputs[0].data).toEqual([7]);
    expect((await heart(c.url)).status).toBe(200);
    expect((await chest(c.url)).status).toBe(200);
    const ready = await fetch(`${c.url}/v2/health/ready`);
    expect({ status: ready.status, body: await ready.text() }).toMatchObject({ status: 200 });
    c.child.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });
  }, 180_000);

  it('lends the kept thread to a busy model, and takes it back from one that hangs there: the others wait at most the lent limit', async () => {
    const f = await serve();
    const lentTotal = async () => Number((await (await fetch(`${f.url}/metrics`)).text()).match(/^clinfer_lent_batches_total\{model="lend",version="1"\} (\d+)$/m)?.[1] ?? 0);
    const abandoned = async () => Number((await (await fetch(`${f.url}/metrics`)).text()).match(/^clinfer_worker_threads_abandoned_total (\d+)$/m)?.[1] ?? 0);
    // No max_batch_size and no execution.instances: every request is its own batch, and lending may apply.
    expect((await put(f.url, 'lend', '1', await bundle('lend', '1', LOOP, { max_batch_size: 0, execution: { timeout_ms: 8000 } }))).status).toBe(201);
    // A normal history (one request at a time, a few ms each: a model of sub-ms batches never borrows), then a
    // burst: beyond its share of one thread, it borrows the idle one.
    for (let i = 0; i < 10; i++) expect((await loop(f.url, 'lend', 5_000)).json.outputs[0].data).toEqual([5_000]);
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => loop(f.url, 'lend', 20_000 + i)));
    expect(burst.map((r) => r.json.outputs[0].data[0])).toEqual(Array.from({ length: 8 }, (_, i) => 20_000 + i));
    const lentAfterBurst = await lentTotal();
    expect(lentAfterBurst).toBeGreaterThan(0);
    const abandonedBefore = await abandoned();

    // Two requests that never end, sent together: one on the model's own thread, one on the lent thread.
    const stuckOwn = loop(f.url, 'lend', FOREVER);
    const stuckLent = loop(f.url, 'lend', FOREVER);
    // The demo model waits for the lent thread to be taken back (2 s, the lent limit's floor), not for the
    // 8 s execution timeout: it is answered while both hanging requests are still unanswered.
    let loopAnswered = false;
    void Promise.all([stuckOwn, stuckLent]).finally(() => (loopAnswered = true));
    expect((await heart(f.url)).status).toBe(200);
    expect(loopAnswered).toBe(false);
    expect(await lentTotal()).toBe(lentAfterBurst + 1);
    // The lent run was given up (its thread replaced); its request ran again behind the other, on the
    // model's own share; the 8 s timeout then ended the version: 504 for the one running, 503 for the retry.
    const [own, lent] = await Promise.all([stuckOwn, stuckLent]);
    expect(own).toMatchObject({ status: 504, json: { code: 'EXECUTION_TIMEOUT' } });
    expect(lent).toMatchObject({ status: 503, json: { code: 'MODEL_NOT_READY', error: expect.stringMatching(/UNAVAILABLE: .*execution timeout/) } });
    expect(await abandoned()).toBe(abandonedBefore + 2);
    expect((await heart(f.url)).status).toBe(200);
    f.child.kill('SIGKILL');
  }, 120_000);

  it('with exitAfterStuckWorkers, shuts down by itself once that many threads are stuck, for its supervisor to restart it', async () => {
    const config = join(work, 'restart-on-stuck.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), exitAfterStuckWorkers: 1 }));
    const d = await serve(config);
    expect((await put(d.url, 'loop3', '1', await bundle('loop3', '1', LOOP, { execution: { timeout_ms: 1000 } }))).status).toBe(201);
    expect((await loop(d.url, 'loop3', FOREVER)).json).toMatchObject({ code: 'EXECUTION_TIMEOUT' });
    // Not a stopwatch: the bound only keeps a hanging process from holding the test for ever.
    const exit = await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('still running'), GRACE_MS + 15_000))]);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(d.out.stdout + d.out.stderr).toMatch(/exitAfterStuckWorkers/);
  }, 120_000);

  it("with loadIsolation 'thread', a never-ending warm-up is given up in the threads at loadTimeoutMs: the PUT returns, the threads are replaced", async () => {
    const config = join(work, 'thread-loads.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), loadIsolation: 'thread' }));
    const e = await serve(config);
    const stuck = async () => Number((await (await fetch(`${e.url}/metrics`)).text()).match(/^clinfer_stuck_worker_threads (\d+)$/m)?.[1] ?? 0);
    // (After the first test the repository holds the never-ending loop/2, which this start gave up on too.)
    const stuckBefore = await stuck();
    const deploy = put(e.url, 'never-threads', '1', await bundle('never-threads', '1', NEVER));
    const duringDeploy = await demoTrafficUntil(e.url, deploy);
    const refused = await deploy;
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'BUNDLE_INVALID', error: expect.stringMatching(/loadTimeoutMs/) });
    // The load was broadcast to both threads: both were given up and replaced. Demo requests sent while
    // both were stuck waited for the replacements; none failed.
    expect(duringDeploy.every((s) => s === 200)).toBe(true);
    expect((await heart(e.url)).status).toBe(200);
    expect(await stuck()).toBe(stuckBefore + 2);
    e.child.kill('SIGTERM');
    const exit = await Promise.race([e.exited, new Promise((r) => setTimeout(() => r('still running'), GRACE_MS + 15_000))]);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
  }, 120_000);
});
