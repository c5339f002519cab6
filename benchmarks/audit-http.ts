/**
 * What the audit log costs an HTTP client: requests per second through POST /v2 infer (JSON, one row of
 * the demo heart-disease-risk model) with the audit log off and on (signed checkpoints every 100, every
 * answer sent only once its line is durable: group commit, one write and one fdatasync per batch).
 * clinfer runs in a child process (benchmarks/server-child.ts); this process is the loopback load
 * generator: C keep-alive clients, a bounded number of requests per round, off and on alternated.
 *
 *   node --import tsx benchmarks/audit-http.ts [--requests 4000] [--clients 32] [--rounds 3]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop } from './closed-loop.js';
import type { FromServer, ServerSpec, ToServer } from './protocol.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const REQUESTS = arg('requests', 4000);
const CLIENTS = arg('clients', 32);
const ROUNDS = arg('rounds', 3);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'clinfer-audit-http-'));
const keyFile = join(dir, 'audit-key.pem');
writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

const BODY = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', shape: [1, 13], datatype: 'FP32', data: [63, 1, 3, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6] }] }));

function startServer(audit: boolean, round: number): Promise<{ url: string; child: ChildProcess }> {
  const config: Record<string, unknown> = { models: join(ROOT, 'models'), host: '127.0.0.1', port: 0, grpcPort: -1, workers: 1, intraOpThreads: 1, logLevel: 'silent' };
  if (audit) Object.assign(config, { auditLog: join(dir, `audit-${round}.jsonl`), auditKeyFile: keyFile, auditCheckpointEvery: 100 });
  const spec: ServerSpec = { kind: 'clinfer', config, readyModels: ['heart-disease-risk'] };
  const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready`)));
    child.on('message', (msg: FromServer) => {
      if (msg.type === 'ready') resolve({ url: msg.url, child });
      else if (msg.type === 'error') reject(new Error(msg.message));
    });
    child.send({ type: 'start', spec } satisfies ToServer);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ type: 'stop' } satisfies ToServer);
  await exited;
}

async function measure(url: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const target = new URL('/v2/models/heart-disease-risk/infer', url);
  const send = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(target, { agent, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': BODY.length } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(BODY);
    });
  await closedLoop(send, CLIENTS, 60, 200); // warm-up
  const r = await closedLoop(send, CLIENTS, 600, REQUESTS);
  agent.destroy();
  if (r.errors) throw new Error(`${r.errors} requests failed: ${r.firstError}`);
  return r.latencies.length / (r.wallMs / 1000);
}

const off: number[] = [];
const on: number[] = [];
let lines = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const audit of [false, true]) {
    const { url, child } = await startServer(audit, round);
    try {
      (audit ? on : off).push(await measure(url));
    } finally {
      await stop(child);
    }
    if (audit) lines += readFileSync(join(dir, `audit-${round}.jsonl`), 'utf8').split('\n').filter((l) => l.includes('"action":"predict"')).length;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({
  requests_per_round: REQUESTS, clients: CLIENTS, rounds: ROUNDS, predict_lines_written: lines,
  off_rps: off.map(Math.round), on_rps: on.map(Math.round),
  off_median_rps: Math.round(median(off)), on_median_rps: Math.round(median(on)), on_over_off: Math.round((median(on) / median(off)) * 1000) / 1000,
}));
rmSync(dir, { recursive: true });
