import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, stopProcess } from './private-network.js';

/** Wrappers for the DCMTK command-line tools (Debian package `dcmtk`), each with a hard timeout. */
export interface ToolResult {
  /** Exit status; null when killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export function dcmtkAvailable(): boolean {
  return ['storescu', 'echoscu', 'storescp', 'dcmdump'].every((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0);
}

/** Runs a tool asynchronously (never spawnSync: an SCP in this process must keep answering meanwhile). */
export function runTool(command: string, args: readonly string[], timeoutMs: number): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(error), timedOut });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

export interface PeerOptions {
  readonly host?: string;
  readonly port: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle?: string;
  readonly timeoutMs?: number;
  /** DCMTK's TLS options, e.g. ['+tls', key, cert, '+cf', ca] or ['+tla'] (before the peer's address). */
  readonly tlsArgs?: readonly string[];
}

/** Network timeouts for the tool itself (seconds), under the process timeout. */
function networkArgs(timeoutMs: number): string[] {
  const seconds = String(Math.max(1, Math.floor(timeoutMs / 2000)));
  return ['-to', seconds, '-ta', seconds, '-td', seconds];
}

export function echoscu(peer: PeerOptions): Promise<ToolResult> {
  const timeoutMs = peer.timeoutMs ?? 15_000;
  return runTool('echoscu', [...networkArgs(timeoutMs), '-aet', peer.callingAeTitle ?? 'ECHOSCU', '-aec', peer.calledAeTitle, ...(peer.tlsArgs ?? []), peer.host ?? '127.0.0.1', String(peer.port)], timeoutMs);
}

export interface StorescuOptions extends PeerOptions {
  readonly files: readonly string[];
  /** Transfer syntax proposal, e.g. '-xt' (JPEG-LS lossless + uncompressed), '-xv' (JPEG 2000 lossless + uncompressed). */
  readonly proposal?: string;
  /** Keep sending after a failed C-STORE (-nh). */
  readonly noHalt?: boolean;
  /** End with A-ABORT instead of A-RELEASE. */
  readonly abort?: boolean;
  /** -v: print each C-STORE response status (on stderr), e.g. to see a refusal under --no-halt. */
  readonly verbose?: boolean;
}

export function storescu(options: StorescuOptions): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const args = [
    ...networkArgs(timeoutMs),
    '-aet', options.callingAeTitle ?? 'STORESCU',
    '-aec', options.calledAeTitle,
    ...(options.proposal ? [options.proposal] : []),
    ...(options.noHalt ? ['-nh'] : []),
    ...(options.abort ? ['--abort'] : []),
    ...(options.verbose ? ['-v'] : []),
    ...(options.tlsArgs ?? []),
    options.host ?? '127.0.0.1', String(options.port),
    ...options.files,
  ];
  return runTool('storescu', args, timeoutMs);
}

/** `dcmdump` of one tag's value, e.g. dcmdumpValue(file, '0008,0018'). */
export async function dcmdumpValue(file: string, tag: string, timeoutMs = 10_000): Promise<string | undefined> {
  const result = await runTool('dcmdump', ['-M', '-Un', '-s', '+P', tag, file], timeoutMs);
  return /\[([^\]]*)\]/.exec(result.stdout)?.[1];
}

/**
 * The pixel data of a Part 10 file (path or bytes) as DCMTK reads it: one buffer for native pixel data,
 * or the items of an encapsulated pixel sequence (offset table first). Works for every transfer syntax
 * DCMTK reads, deflate included, so two encodings of one instance can be compared.
 */
export async function pixelDataItems(file: string | Uint8Array, timeoutMs = 10_000): Promise<Buffer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'clinfer-pixels-'));
  try {
    const path = typeof file === 'string' ? file : join(dir, 'instance.dcm');
    if (typeof file !== 'string') writeFileSync(path, file);
    const out = join(dir, 'out');
    mkdirSync(out);
    const result = await runTool('dcmdump', ['-q', '+W', out, path], timeoutMs);
    if (result.code !== 0) throw new Error(`dcmdump +W failed: ${result.stderr}`);
    const index = (name: string) => Number(/\.(\d+)\.raw$/.exec(name)?.[1] ?? -1);
    return readdirSync(out)
      .filter((name) => name.endsWith('.raw'))
      .sort((a, b) => index(a) - index(b))
      .map((name) => readFileSync(join(out, name)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A port nobody listens on right now (it may be taken by the time you use it; fine on loopback in tests). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `storescp` receiving into a temporary folder, bit-preserving (+B: files written exactly as received) and
 * accepting every transfer syntax (+xa). stop() kills it and removes the folder.
 */
export class StoreScp {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, readonly port: number, readonly dir: string, readonly aeTitle: string) {
    this.#child = child;
  }

  /** tlsArgs: DCMTK's TLS options, e.g. ['+tls', key, cert, '+cf', ca] (storescp then requires a client certificate). */
  static async start(options: { aeTitle?: string; port?: number; startTimeoutMs?: number; tlsArgs?: readonly string[] } = {}): Promise<StoreScp> {
    const port = options.port ?? (await freePort());
    const aeTitle = options.aeTitle ?? 'STORESCP';
    const dir = mkdtempSync(join(tmpdir(), 'clinfer-storescp-'));
    // storescp writes each file under its final name while receiving it: it writes into incoming/ and moves the
    // file into `dir` once whole (-xcr runs after each file), so files() never lists a half-written one.
    // -xcr runs after the C-STORE response; -xs makes storescp wait for the move before it reads the next PDU,
    // so by the time a sender's association is released, the file is in `dir` (without it, a loaded machine
    // could see the send succeed and the folder still empty).
    mkdirSync(join(dir, 'incoming'));
    const child = spawnTracked('storescp', ['-aet', aeTitle, '-od', join(dir, 'incoming'), '-xcr', `mv '#p/#f' '${dir}/#f'`, '-xs', '+xa', '+B', '-ta', '10', '-td', '10', ...(options.tlsArgs ?? []), String(port)]);
    const scp = new StoreScp(child, port, dir, aeTitle);
    try {
      await waitForPort(port, options.startTimeoutMs ?? 10_000);
    } catch (error) {
      await scp.stop();
      throw error;
    }
    return scp;
  }

  /** Paths of the received files. */
  files(): string[] {
    return readdirSync(this.dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(this.dir, e.name));
  }

  /** Stops storescp; keepFiles leaves the folder for inspection. */
  async stop(options: { keepFiles?: boolean } = {}): Promise<void> {
    await stopProcess(this.#child, 2000);
    if (!options.keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }
}
