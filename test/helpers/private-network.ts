import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isAbsolute, join } from 'node:path';

/**
 * Runs a scenario inside a private network namespace that has only loopback (`unshare --net`), so peers
 * that always bind 0.0.0.0 (Orthanc 1.10) are reachable from nowhere else. The peer and the Node code that
 * talks to it must share the namespace, so the whole scenario runs in ONE child process:
 *
 *   unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh node --import tsx private-network.ts <module> <export> <json-args>
 *
 * This file is that child's entry: it imports <module>, awaits <export>(args), prints the result as one
 * JSON line after RESULT_MARKER, and exits; a hard deadline ends it (and, through the exit hook, whatever
 * it spawned) if the scenario hangs. The parent kills the child's whole process group on its own timeout.
 *
 *   const run = await runInPrivateNetwork<MyResult>({
 *     module: 'test/helpers/orthanc.ts', export: 'orthancRoundTripScenario', args: { workDir }, timeoutMs: 90_000,
 *   });
 *   expect(run.error).toBeUndefined();
 *   expect(run.result?.stowStored).toBe(true);
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULT_MARKER = '@@clinfer-scenario-result@@';
const SELF = fileURLToPath(import.meta.url);

export interface PrivateNetworkScenario {
  /** Module path, relative to the repository root or absolute. */
  readonly module: string;
  /** Name of an exported async function taking `args` and returning something JSON can carry. */
  readonly export: string;
  readonly args?: unknown;
  /** Wall-clock bound for the whole child, Orthanc start-up included. */
  readonly timeoutMs: number;
}

export interface PrivateNetworkRun<T> {
  readonly result: T | undefined;
  /** The scenario's thrown error message (or the reason no result came back). */
  readonly error: string | undefined;
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** True when this process may create network namespaces (root, or unprivileged user namespaces) and has `ip`. */
export function privateNetworkAvailable(): boolean {
  const probe = spawnSync('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up'], { timeout: 5000, stdio: 'ignore' });
  return probe.status === 0;
}

export async function runInPrivateNetwork<T>(scenario: PrivateNetworkScenario): Promise<PrivateNetworkRun<T>> {
  const modulePath = isAbsolute(scenario.module) ? scenario.module : join(ROOT, scenario.module);
  const args = [
    '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh',
    process.execPath, '--import', 'tsx', SELF, modulePath, scenario.export, JSON.stringify(scenario.args ?? null), String(scenario.timeoutMs - 2000),
  ];
  // detached: the child leads its own process group, so one kill reaches Orthanc and anything else it spawned.
  const child = spawn('unshare', args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stopGroup = () => killGroup(child);
  process.once('exit', stopGroup);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stopGroup();
  }, scenario.timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  stopGroup();
  process.off('exit', stopGroup);

  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (!line) return { result: undefined, error: timedOut ? 'timed out' : 'no result line', code, timedOut, stdout, stderr };
  const payload = JSON.parse(line.slice(RESULT_MARKER.length)) as { result?: T; error?: string };
  return { result: payload.result, error: payload.error, code, timedOut, stdout, stderr };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Spawns a helper process that is killed when this process exits, whatever the reason (a failed test, a
 * scenario deadline). Tests still stop their processes in afterAll/finally; this is the backstop.
 */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', ...options });
  child.on('error', () => undefined); // a missing binary shows up as the caller's wait failing
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return child;
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function runScenarioEntry(modulePath: string, exportName: string, argsJson: string, deadlineMs: number): Promise<void> {
  // process.exit runs the 'exit' hooks of spawnTracked, so peers die with us.
  const deadline = setTimeout(() => {
    process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ error: `scenario deadline of ${deadlineMs} ms passed` })}\n`, () => process.exit(124));
  }, deadlineMs);
  deadline.unref();
  let payload: { result?: unknown; error?: string };
  try {
    const module = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
    const scenario = module[exportName];
    if (typeof scenario !== 'function') throw new Error(`${modulePath} exports no function '${exportName}'`);
    payload = { result: await (scenario as (args: unknown) => Promise<unknown>)(JSON.parse(argsJson)) };
  } catch (error) {
    payload = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(payload)}\n`, () => process.exit(payload.error === undefined ? 0 : 1));
}

if (process.argv[1] === SELF) {
  const [modulePath, exportName, argsJson, deadline] = process.argv.slice(2);
  void runScenarioEntry(modulePath!, exportName!, argsJson ?? 'null', Number(deadline ?? 60_000));
}
