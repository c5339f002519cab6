import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_MODELS, ROOT } from '../helpers/server.js';

/** `clinfer serve` as an operator runs it: a real process, real signals. */
const BIN = join(ROOT, 'bin/clinfer.mjs');

function run(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CLINFER_LOG_LEVEL: 'silent', CLINFER_WORKERS: '1', CLINFER_GRPC_PORT: '0', ...env } });
}

function collect(child: ChildProcessWithoutNullStreams) {
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { out, exited };
}

async function until(predicate: () => boolean, what: string, ms = 30_000) {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('clinfer serve', () => {
  it('prints the address and each model state, serves, and shuts down cleanly on SIGTERM', async () => {
    const child = run(['serve', '--models', DEMO_MODELS, '--port', '0']);
    const { out, exited } = collect(child);
    await until(() => /heart-disease-risk/.test(out.stdout), 'the model lines');
    const url = out.stdout.match(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/m)?.[1];
    expect(url).toBeDefined();
    expect(out.stdout).toMatch(/^grpc listening on 127\.0\.0\.1:\d+$/m);
    expect(out.stdout).toMatch(/^model chest-xray-pneumonia version 1: READY$/m);
    expect(out.stdout).toMatch(/^model heart-disease-risk version 1: READY$/m);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.stdout).toMatch(/SIGTERM: draining and shutting down/);
  });

  it('takes its settings from the environment', async () => {
    const child = run(['serve'], { CLINFER_MODELS: DEMO_MODELS, CLINFER_PORT: '0', CLINFER_HOST: '127.0.0.1' });
    const { out, exited } = collect(child);
    await until(() => /chest-xray-pneumonia/.test(out.stdout), 'the model lines');
    expect(out.stdout).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/m);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('refuses bad settings with a message naming them', async () => {
    const badPort = collect(run(['serve', '--port', 'eighty', '--workers', '0'], { CLINFER_GRPC_PORT: 'x' }));
    expect(await badPort.exited).toBe(1);
    // Every problem at once, each with where it came from.
    expect(badPort.out.stderr).toMatch(/3 configuration problems:/);
    expect(badPort.out.stderr).toMatch(/field 'port' \(flag --port\): .*expected number, received string/);
    expect(badPort.out.stderr).toMatch(/field 'workers' \(flag --workers\): .*>=1/);
    expect(badPort.out.stderr).toMatch(/field 'grpcPort' \(env CLINFER_GRPC_PORT\): .*expected number/);
    const badFlag = collect(run(['serve', '--colour']));
    expect(await badFlag.exited).toBe(2);
    expect(badFlag.out.stderr).toMatch(/Unknown option '--colour'/);
    const badRepo = collect(run(['serve', '--models', '/nonexistent/models', '--port', '0']));
    expect(await badRepo.exited).toBe(1);
    expect(badRepo.out.stderr).toMatch(/model repository .*\/nonexistent\/models cannot be read \(ENOENT\)/);
  });
});
