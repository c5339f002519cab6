/** The machine a run measured on, and how busy the rest of it was. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { machineCpu } from '../stats.js';
import { ROOT } from './paths.js';

export interface MachineInfo {
  node: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  onnxruntimeNode: string;
  express: string;
  clinfer: string;
  gitRevision: string;
  runtimeSha256: string;
}

/** CPU of the whole machine and of this process from now; the returned function reads both deltas. */
export function machineMeter() {
  const m0 = machineCpu();
  const own0 = process.cpuUsage();
  return () => {
    const m1 = machineCpu();
    const own = process.cpuUsage(own0);
    return { machineBusyMs: m0 && m1 ? m1.busyMs - m0.busyMs : undefined, ownMs: (own.user + own.system) / 1000 };
  };
}

export function machineInfo(): MachineInfo {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  const packageVersion = (path: string) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, path), 'utf8')).version as string;
    } catch {
      return 'unknown';
    }
  };
  // The runtime may hold uncommitted changes: this names the exact runtime/ tree that was measured.
  const runtimeHash = createHash('sha256');
  const files = (readdirSync(join(ROOT, 'runtime'), { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .sort();
  for (const f of files) runtimeHash.update(f.slice(ROOT.length)).update('\0').update(readFileSync(f)).update('\0');
  return {
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    onnxruntimeNode: packageVersion('node_modules/onnxruntime-node/package.json'),
    express: packageVersion('node_modules/express/package.json'),
    clinfer: packageVersion('package.json'),
    gitRevision: git(['describe', '--always', '--dirty']),
    runtimeSha256: runtimeHash.digest('hex').slice(0, 16),
  };
}

/** CPU the rest of the machine uses before the run starts, % of one core (undefined off Linux). */
export async function backgroundCpu(seconds: number): Promise<number | undefined> {
  const stop = machineMeter();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { machineBusyMs, ownMs } = stop();
  return machineBusyMs === undefined ? undefined : Math.max(0, (machineBusyMs - ownMs) / (seconds * 10));
}
