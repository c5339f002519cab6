import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, ROOT } from '../helpers/server.js';

/**
 * The production build (`npm run build`, scripts/build.mjs) as the images install it: dist/, bin/ and
 * package.json in a folder with no TypeScript sources beside them, so any thread, child or file still
 * looked up as a .ts source, or any asset left behind, fails here. The build is fresh (this tree's
 * sources), never the repository's own dist/, which may be older.
 */
const run = promisify(execFile);
const SOURCES = ['runtime', 'adapters'];
let pkg: string;
let server: ChildProcessWithoutNullStreams | undefined;

/** Every file under the source folders, relative to the repository root. */
const sourceFiles = (): string[] =>
  SOURCES.flatMap((folder) => readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(ROOT, join(e.parentPath, e.name))));

/** The CLI's environment: the compiled runtime (vitest.config.ts sets CLINFER_FROM_SOURCE for the other tests). */
function compiledEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CLINFER_LOG_LEVEL: 'warn', CLINFER_WORKERS: '1', CLINFER_GRPC_PORT: '-1', ...extra };
  delete env.CLINFER_FROM_SOURCE;
  return env;
}

beforeAll(async () => {
  pkg = mkdtempSync(join(tmpdir(), 'clinfer-build-'));
  await run(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--out', join(pkg, 'dist')], { cwd: ROOT });
  mkdirSync(join(pkg, 'bin'));
  cpSync(join(ROOT, 'bin/clinfer.mjs'), join(pkg, 'bin/clinfer.mjs'));
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
}, 300_000);

afterAll(() => {
  server?.kill('SIGKILL');
  if (pkg) rmSync(pkg, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles every module of runtime/ and adapters/ to dist/ and copies every other file they hold', () => {
    const files = sourceFiles().filter((f) => !f.endsWith('.d.ts') && !f.endsWith('.md'));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) expect(existsSync(join(pkg, 'dist', f.replace(/\.ts$/, '.js'))), `dist/${f.replace(/\.ts$/, '.js')}`).toBe(true);
    expect(readdirSync(join(pkg, 'dist'), { recursive: true }).filter((f) => String(f).endsWith('.ts'))).toEqual([]);
  });

  it('holds every file the runtime reads by a path relative to its own module', () => {
    // new URL('./file', import.meta.url) for assets, siblingModule(import.meta.url, 'name') for thread and child entries.
    const wanted: string[] = [];
    for (const f of sourceFiles().filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/new URL\('(\.\.?\/[^']+)', import\.meta\.url\)/g)) wanted.push(join(dirname(f), m[1]!.replace(/\.ts$/, '.js')));
      for (const m of text.matchAll(/siblingModule\(import\.meta\.url, '([^']+)'\)/g)) wanted.push(join(dirname(f), `${m[1]}.js`));
    }
    // The proto files, the inference thread's entry, the load probe's child, the imaging and JSON-parse threads.
    expect(wanted.length).toBeGreaterThanOrEqual(6);
    const missing = wanted.filter((w) => !existsSync(join(pkg, 'dist', w)));
    expect(missing).toEqual([]);
  });

  it('the compiled CLI serves the demo models, with inference, JSON-parse and imaging threads, and no sources beside it', async () => {
    expect(existsSync(join(pkg, 'runtime'))).toBe(false);
    server = spawn(process.execPath, [join(pkg, 'bin/clinfer.mjs'), 'serve', '--models', DEMO_MODELS, '--port', '0', '--host', '127.0.0.1'], { env: compiledEnv() });
    let stdout = '';
    let stderr = '';
    server.stdout.on('data', (d) => (stdout += d));
    server.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => server!.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    let url: string | undefined;
    let ready = 0;
    while (ready !== 200) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the compiled server did not become ready\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
      url ??= stdout.match(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/m)?.[1];
      if (url) ready = (await fetch(`${url}/v2/health/ready`)).status;
    }
    expect(stdout).toMatch(/^model heart-disease-risk version 1: READY$/m);
    expect(stdout).toMatch(/^model chest-xray-pneumonia version 1: READY$/m);

    // Inline JSON, and JSON over 1 MiB (parsed in a JSON-parse thread): the same answer.
    const body = JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 13], data: [63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, 0, 1] }] });
    const answers = [];
    for (const text of [body, `${body.slice(0, -1)}${' '.repeat(1_100_000)}}`]) {
      const res = await fetch(`${url}/v2/models/heart-disease-risk/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
      expect(res.status).toBe(200);
      answers.push(((await res.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]![0]).toBeGreaterThan(0);
    expect(answers[0]![0]).toBeLessThan(1);

    // A PNG through the imaging threads.
    const png = await sharp(Buffer.alloc(28 * 28, 128), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const res = await fetch(`${url}/v1/models/chest-xray-pneumonia/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: { scores: unknown[] }[] }).predictions[0]!.scores).toHaveLength(2);

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/Error|tsx/);
  }, 180_000);
});

describe('bin/clinfer.mjs without a current build', () => {
  const cli = async (dir: string) => {
    try {
      await run(process.execPath, [join(dir, 'bin/clinfer.mjs'), 'serve'], { env: compiledEnv() });
      return { code: 0, stderr: '' };
    } catch (error) {
      const e = error as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  };
  const layout = () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinfer-nobuild-'));
    mkdirSync(join(dir, 'bin'));
    cpSync(join(ROOT, 'bin/clinfer.mjs'), join(dir, 'bin/clinfer.mjs'));
    return dir;
  };

  it('refuses a missing dist/, naming npm run build', async () => {
    const dir = layout();
    try {
      const { code, stderr } = await cli(dir);
      expect(code).toBe(1);
      expect(stderr).toMatch(/the compiled runtime \(dist\/\) is missing: run `npm run build`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a dist/ older than a source file, naming the file and npm run build', async () => {
    const dir = layout();
    try {
      mkdirSync(join(dir, 'dist'));
      writeFileSync(join(dir, 'dist/build.json'), JSON.stringify({ startedAt: Date.now() - 60_000, sources: ['runtime'] }));
      mkdirSync(join(dir, 'runtime/cli'), { recursive: true });
      writeFileSync(join(dir, 'runtime/cli/main.ts'), 'export {};\n');
      const { code, stderr } = await cli(dir);
      expect(code).toBe(1);
      expect(stderr).toMatch(/dist\/ is older than the sources \(runtime\/cli\/main\.ts changed after the last build\): run `npm run build`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
