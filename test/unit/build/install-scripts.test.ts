import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/server.js';

/**
 * Dependency install scripts under npm 11's allowScripts (package.json), strict (.npmrc), and the
 * postinstall that runs onnxruntime-node's installer only when ONNXRUNTIME_NODE_INSTALL asks for it.
 */
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean>; scripts: Record<string, string> };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
const withScripts = new Set(
  Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
);

function hook(value: string | undefined) {
  const env = { ...process.env };
  delete env.ONNXRUNTIME_NODE_INSTALL;
  delete env.npm_config_onnxruntime_node_install;
  if (value !== undefined) env.ONNXRUNTIME_NODE_INSTALL = value;
  return spawnSync(process.execPath, [join(ROOT, 'scripts/onnxruntime-install.mjs')], { env, encoding: 'utf8', timeout: 30_000 });
}

describe('dependency install scripts', () => {
  it('allowScripts decides every install script in the lock file, and names no package without one', () => {
    expect(withScripts.size).toBeGreaterThan(0);
    expect(Object.keys(pkg.allowScripts).sort()).toEqual([...withScripts].sort());
  });

  it("denies onnxruntime-node's own script (its CUDA download) and sends npm install through the postinstall instead", () => {
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    expect(pkg.scripts.postinstall).toBe('node scripts/onnxruntime-install.mjs');
  });

  it('.npmrc holds only keys npm knows: strict allowScripts, no onnxruntime-node-install', () => {
    const keys = readFileSync(join(ROOT, '.npmrc'), 'utf8').split('\n').filter((l) => l.trim() && !/^\s*[#;]/.test(l)).map((l) => l.split('=')[0]!.trim());
    expect(keys).toEqual(['strict-allow-scripts']);
  });
});

describe('scripts/onnxruntime-install.mjs', () => {
  it.each([undefined, '', 'skip'])('does nothing when ONNXRUNTIME_NODE_INSTALL is %j', (value) => {
    const run = hook(value);
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toBe('');
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    "with cuda12 (linux/x64, the one platform onnxruntime-node has a CUDA provider for), runs its installer, which fetches the provider from NuGet (here through a proxy that refuses: the install fails)",
    async () => {
      // The proxy records where the installer connects and answers 502; nothing is downloaded.
      const hosts: string[] = [];
      const proxy = createServer().on('connect', (req, socket) => {
        hosts.push(req.url ?? '');
        socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      // The variables npm sets for a root postinstall: the installer must not take them for its own checkout.
      const env: NodeJS.ProcessEnv = {
        ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12', npm_config_local_prefix: ROOT.replace(/\/$/, ''), npm_package_json: join(ROOT, 'package.json'),
        GLOBAL_AGENT_HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      };
      const code = await new Promise<number | null>((resolve) => execFile(process.execPath, [join(ROOT, 'scripts/onnxruntime-install.mjs')], { env, timeout: 60_000 }, (error) => resolve(error ? ((error as { code?: number }).code ?? -1) : 0)));
      proxy.close();
      expect(code).not.toBe(0);
      expect(hosts.some((h) => h.startsWith('api.nuget.org:'))).toBe(true);
    },
  );
});
