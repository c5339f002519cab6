import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate, ValidationCode, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki } from '../helpers/pki.js';

// The Dockerfiles cannot be built on the development machines (no Docker engine), so they are checked
// here instead: linted with dockerfile-utils (the linter of the VS Code Docker extension), then read for
// what the images must do, and the HEALTHCHECK command is run against a local HTTP server.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');

// validate() replaces its defaults with the settings given (it does not merge), so every rule is listed.
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};
/** LSP DiagnosticSeverity: 1 error, 2 warning, 3 information, 4 hint. */
const ERROR_OR_WARNING = (d: { severity?: number }) => d.severity === undefined || d.severity <= 2;
const lint = (text: string) =>
  validate(text, STRICT)
    .filter(ERROR_OR_WARNING)
    .map((d) => ({ line: d.range.start.line + 1, code: d.code, message: d.message }));

// ---- A small reader of the Dockerfile syntax used here: comments, `\` continuations, exec and shell forms.

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: Instruction | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    // A comment line, also inside a continuation (Docker drops those); parser directives are comments too.
    if (/^\s*#/.test(line)) return;
    if (!current) {
      if (line.trim() === '') return;
      const m = /^\s*(\S+)\s*(.*)$/.exec(line)!;
      current = { keyword: m[1]!.toUpperCase(), args: m[2]!, line: index + 1 };
    } else {
      current.args += ` ${line.trim()}`;
    }
    if (current.args.endsWith('\\')) {
      current.args = current.args.slice(0, -1).trimEnd();
    } else {
      current.args = current.args.trim();
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

function parse(text: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const i of instructions(text)) {
    if (i.keyword === 'FROM') {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const from = words[0]!.replace(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/, (_, name: string) => args.get(name) ?? '');
      stages.push({ from, name: /^as$/i.test(words[1] ?? '') ? words[2] : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (i.keyword === 'ARG') {
        const eq = i.args.indexOf('=');
        args.set(eq < 0 ? i.args : i.args.slice(0, eq), eq < 0 ? '' : i.args.slice(eq + 1));
      }
    } else {
      stages.at(-1)!.instructions.push(i);
    }
  }
  return { args, stages };
}

/** Flags (`--from=deps`) and the remaining words or JSON array of an instruction. */
function split(args: string): { flags: Map<string, string>; words: string[] } {
  const flags = new Map<string, string>();
  let rest = args;
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags.set(m[1]!, m[2] ?? 'true');
    rest = rest.slice(m[0].length);
  }
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/).filter(Boolean);
  return { flags, words };
}

/** ENV key=value pairs (the form used here: no quotes, no spaces in values). */
function env(stage: Stage): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of stage.instructions.filter((x) => x.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`ENV at line ${i.line}: write key=value pairs`);
      out.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return out;
}

const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

// ---- The house rules for an image, beyond dockerfile-utils: what a hospital's supply-chain review asks.

const DIGEST = /@sha256:[0-9a-f]{64}$/;
/** Where the production dependencies are made: installed alone, or what is left after pruning a full install. */
const PRODUCTION_INSTALL = /\bnpm (ci|prune) --omit=dev\b/;

/** Every rule the file breaks, in words (empty when it keeps them all). */
function policy(text: string): string[] {
  const problems: string[] = [];
  const { stages } = parse(text);
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  // Base images and images copied from: pinned by digest (a tag can be moved), never `latest`.
  const images = [
    ...stages.map((s) => s.from),
    ...stages.flatMap((s) => of(s, 'COPY')).map((i) => split(i.args).flags.get('from')).filter((f): f is string => !!f && !names.has(f) && !/^\d+$/.test(f)),
  ];
  for (const image of new Set(images)) {
    if (names.has(image)) continue;
    if (!DIGEST.test(image)) problems.push(`${image || '(an ARG without a default)'} is not pinned by digest (image@sha256:...)`);
    if (/:latest(@|$)/.test(image) || !/:[^/]+$/.test(image.replace(DIGEST, ''))) problems.push(`${image} names no version tag (or latest)`);
  }
  const final = stages.at(-1);
  if (!final) return [...problems, 'no FROM'];
  const user = of(final, 'USER').at(-1)?.args.split(':')[0];
  if (!user || /^(root|0)$/.test(user)) problems.push('the final stage does not switch to a non-root USER');
  if (of(final, 'HEALTHCHECK').length === 0) problems.push('the final stage has no HEALTHCHECK');
  // The SBOM: made where the production install is, and carried into the image.
  const install = stages.find((s) => of(s, 'RUN').some((i) => PRODUCTION_INSTALL.test(i.args)));
  const sbom = install && of(install, 'RUN').map((i) => /\bnpm sbom --sbom-format cyclonedx --omit dev > (\S+)/.exec(i.args)?.[1]).find(Boolean);
  if (!sbom) problems.push('the production install (`npm ci --omit=dev` or `npm prune --omit=dev`) is not followed by `npm sbom --sbom-format cyclonedx --omit dev > FILE`');
  else if (!of(final, 'COPY').some((i) => split(i.args).flags.get('from') === install!.name && split(i.args).words[0]!.endsWith(`/${sbom}`))) {
    problems.push(`the final stage does not copy ${sbom} from the ${install!.name} stage`);
  }
  // The header says what the file builds and how to run it, not how it was once tried somewhere.
  const header = text.split('\n').filter((l) => l.startsWith('#')).slice(0, 12).join('\n');
  if (!/Build:/.test(header) || !/Run:/.test(header)) problems.push('the header comment has no Build: and Run: lines');
  if (/\/work\/|\/tmp\/dockertry|development machine/i.test(text)) problems.push('the file narrates a development machine (its paths or how it was tried there)');
  return problems;
}

// ---- .dockerignore, as moby's patternmatcher reads it: last matching line wins, `!` re-includes, and a
// pattern that matches a folder matches everything below it.

function ignoreRules(text: string): { negate: boolean; re: RegExp }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === '*' && pattern[i + 1] === '*') {
          re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += pattern[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
}

function ignored(path: string, rules: { negate: boolean; re: RegExp }[]): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let result = false;
  for (const rule of rules) if (candidates.some((c) => rule.re.test(c))) result = !rule.negate;
  return result;
}

function filesUnder(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

// ---- The HEALTHCHECK, run for real against local servers: HTTP and HTTPS (TLS on, client certificate
// requested but not required, as runtime/tls/https-server.ts does), answering live or not.

function runHealthcheck(command: string[], port: number): Promise<number> {
  return new Promise((resolve) => {
    const child = execFile(command[0]!, command.slice(1), { env: { ...process.env, CLINFER_PORT: String(port) }, timeout: 15_000 });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

const probes: { name: string; port: number; expected: number }[] = [];
const servers: (Server | HttpsServer)[] = [];
beforeAll(async () => {
  const pki = makePki();
  const tls = { cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey), ca: readFileSync(pki.ca), requestCert: true, rejectUnauthorized: false };
  const answer = (status: number) => (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(req.url === '/v2/health/live' ? status : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ live: status === 200 }));
  };
  const listen = async (name: string, server: Server | HttpsServer, expected: number) => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    servers.push(server);
    probes.push({ name, port: (server.address() as AddressInfo).port, expected });
  };
  await listen('HTTP, live', createServer(answer(200)), 0);
  await listen('HTTP, 503', createServer(answer(503)), 1);
  await listen('HTTPS, live', createHttpsServer(tls, answer(200)), 0);
  await listen('HTTPS, 503', createHttpsServer(tls, answer(503)), 1);
  // A port where nothing listens any more.
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((ok) => closed.close(() => ok()));
  probes.push({ name: 'nothing listening', port, expected: 1 });
});
afterAll(() => Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok())))));

const IMAGES = [
  { file: 'Dockerfile', install: 'skip', providers: 'cpu' },
  { file: 'Dockerfile.gpu', install: 'cuda12', providers: 'cuda,cpu' },
] as const;

describe.each(IMAGES)('$file', ({ file, install, providers }) => {
  const text = read(file);
  const { stages } = parse(text);
  const final = stages.at(-1)!;
  const finalEnv = env(final);

  it('passes dockerfile-utils with no error or warning', () => {
    expect(lint(text)).toEqual([]);
  });

  it('keeps the house rules: base images pinned by digest, no latest, non-root USER, HEALTHCHECK, an SBOM, a header', () => {
    expect(policy(text)).toEqual([]);
  });

  it('has a build stage and a final stage, the final one copying node_modules from the build stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = stages.slice(0, -1).map((s) => s.name);
    const fromStage = of(final, 'COPY').map((i) => split(i.args).flags.get('from')).filter((f) => f && names.includes(f));
    expect(fromStage.length).toBeGreaterThan(0);
    expect(of(final, 'COPY').some((i) => /--from=\S+\s+\S*node_modules\s/.test(i.args))).toBe(true);
  });

  it('runs the compiled runtime: builds dist/ and app/dist in a build stage, copies them, no TypeScript sources', () => {
    const build = stages.find((s) => of(s, 'RUN').some((i) => PRODUCTION_INSTALL.test(i.args)))!;
    // `npm ci` with the development dependencies runs `prepare` (the builds), checked before the prune.
    const run = of(build, 'RUN').map((i) => i.args).find((r) => PRODUCTION_INSTALL.test(r))!;
    expect(run).toMatch(/\bnpm ci &&[^]*test -f dist\/build\.json[^]*npm prune --omit=dev/);
    const copied = of(final, 'COPY').filter((i) => split(i.args).flags.get('from') === build.name).map((i) => split(i.args).words[0]);
    expect(copied).toEqual(expect.arrayContaining(['/app/dist', '/app/app/dist']));
    const fromContext = of(final, 'COPY').filter((i) => !split(i.args).flags.has('from')).flatMap((i) => split(i.args).words.slice(0, -1));
    expect(fromContext).not.toContain('runtime');
    expect(fromContext).not.toContain('adapters');
  });

  it(`installs production dependencies only, with ONNXRUNTIME_NODE_INSTALL=${install}`, () => {
    const installStage = stages.find((s) => of(s, 'RUN').some((i) => PRODUCTION_INSTALL.test(i.args)));
    expect(installStage, 'a RUN with `npm ci --omit=dev` or `npm prune --omit=dev`').toBeDefined();
    expect(env(installStage!).get('ONNXRUNTIME_NODE_INSTALL')).toBe(install);
    const runs = stages.flatMap((s) => of(s, 'RUN')).map((i) => i.args);
    expect(runs.filter((r) => /\bnpm (install|i|update)\b/.test(r))).toEqual([]);
  });

  it('runs as a non-root user in the final stage', () => {
    const user = of(final, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    // Nothing after USER switches back.
    const lastUser = final.instructions.findLastIndex((i) => i.keyword === 'USER');
    expect(final.instructions.slice(lastUser + 1).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('exposes 8080 (HTTP) and 8081 (gRPC) and sets their variables', () => {
    const ports = of(final, 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(ports).toEqual(expect.arrayContaining(['8080', '8081']));
    expect(finalEnv.get('CLINFER_PORT')).toBe('8080');
    expect(finalEnv.get('CLINFER_GRPC_PORT')).toBe('8081');
    expect(finalEnv.get('CLINFER_HOST')).toBe('0.0.0.0');
  });

  it(`is configured by CLINFER_* variables: models in the /models volume, providers ${providers}`, () => {
    expect(finalEnv.get('CLINFER_MODELS')).toBe('/models');
    expect(of(final, 'VOLUME').map((i) => i.args)).toContain('/models');
    expect(finalEnv.get('CLINFER_PROVIDERS')).toBe(providers);
  });

  it('works on a read-only root filesystem: TMPDIR=/tmp (a tmpfs there), no ONNX Runtime telemetry files', () => {
    expect(finalEnv.get('TMPDIR')).toBe('/tmp');
    expect(finalEnv.get('ORT_DISABLE_TELEMETRY')).toBe('1');
  });

  it('stops with SIGTERM and starts bin/clinfer.mjs serve with node as PID 1', () => {
    expect(of(final, 'STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
    expect(JSON.parse(of(final, 'ENTRYPOINT').at(-1)!.args)).toEqual(['node', 'bin/clinfer.mjs']);
    expect(JSON.parse(of(final, 'CMD').at(-1)!.args)).toEqual(['serve']);
  });

  it('copies only sources that exist and that .dockerignore lets into the build context', () => {
    const rules = ignoreRules(read('.dockerignore'));
    const sources = stages
      .flatMap((s) => of(s, 'COPY').concat(of(s, 'ADD')))
      .map((i) => split(i.args))
      .filter((c) => !c.flags.has('from'))
      .flatMap((c) => c.words.slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'bin', 'runtime', 'adapters', 'models']));
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), `${source} exists`).toBe(true);
      // app/dist is a local build output: the image builds its own in the webapp stage.
      for (const f of filesUnder(source).filter((p) => !p.startsWith('app/dist/'))) expect(ignored(f, rules), `${f} is in the build context`).toBe(false);
    }
    // Nothing the runtime does not need.
    const finalSources = of(final, 'COPY').map((i) => split(i.args)).filter((c) => !c.flags.has('from')).flatMap((c) => c.words.slice(0, -1));
    for (const s of finalSources) expect(['package.json', 'LICENSE', 'bin', 'models']).toContain(s);
  });

  it('has a HEALTHCHECK on /v2/health/live whose command works over HTTP and HTTPS (exit 0 live, 1 otherwise)', async () => {
    const hc = of(final, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = /^(?:--\S+\s+)*CMD\s+(\[.*\])$/.exec(hc[0]!.args);
    expect(cmd, 'HEALTHCHECK [flags] CMD ["exec", "form"]').not.toBeNull();
    const command = JSON.parse(cmd![1]!) as string[];
    expect(command.join(' ')).toContain('/v2/health/live');
    const exits = await Promise.all(probes.map(async (p) => ({ name: p.name, exit: await runHealthcheck(command, p.port) })));
    expect(exits).toEqual(probes.map((p) => ({ name: p.name, exit: p.expected })));
  });
});

describe('Dockerfile.gpu specifics', () => {
  const { stages } = parse(read('Dockerfile.gpu'));
  const final = stages.at(-1)!;

  it('runs on an NVIDIA CUDA 12 + cuDNN runtime image with Node 20 copied from the official image', () => {
    expect(final.from).toMatch(/^nvidia\/cuda:12\.\d+(\.\d+)?-cudnn-runtime-ubuntu\d+\.\d+@sha256:[0-9a-f]{64}$/);
    const node = of(final, 'COPY').find((i) => split(i.args).words.includes('/usr/local/bin/node'));
    const from = split(node!.args).flags.get('from');
    expect(stages.find((s) => s.name === from)?.from).toMatch(/^node:20(\.|-|@|$)/);
  });

  it('fails the build when the CUDA provider library did not arrive', () => {
    const run = stages.flatMap((s) => of(s, 'RUN')).map((i) => i.args).find((r) => PRODUCTION_INSTALL.test(r))!;
    expect(run).toMatch(/test -f \S*libonnxruntime_providers_cuda\.so/);
  });

  it('creates the non-root user it switches to (the CUDA base has no uid 1000)', () => {
    const run = of(final, 'RUN').map((i) => i.args).join('\n');
    expect(run).toMatch(/useradd [^\n]*--uid 1000 [^\n]*\bnode\b/);
    expect(of(final, 'USER').at(-1)!.args).toBe('node');
  });
});

describe('.dockerignore', () => {
  const rules = ignoreRules(read('.dockerignore'));

  it.each(['node_modules', 'node_modules/tsx/package.json', '.git', '.git/HEAD', 'test/unit/dockerfile.test.ts', 'benchmarks/results/latest.json', 'docs/deployment.md', '.env', 'coverage/index.html', 'runtime/x/node_modules/y.js'])(
    'keeps %s out of the build context',
    (path) => expect(ignored(path, rules)).toBe(true),
  );

  it.each(['package.json', 'package-lock.json', '.npmrc', 'bin/clinfer.mjs', 'runtime/server.ts', 'runtime/grpc/grpc_predict_v2.proto', 'models/README.md'])(
    'lets %s in',
    (path) => expect(ignored(path, rules)).toBe(false),
  );
});

describe('the production install is enough at run time', () => {
  // The images install with `npm ci --omit=dev`: code under bin, runtime and adapters may import only
  // dependencies (type-only imports are erased by tsx).
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

  // tsx runs the TypeScript sources: only in development (CLINFER_FROM_SOURCE=1) and the tests, never in
  // an image, which runs dist/. These files import it on that path alone.
  const SOURCE_RUN_ONLY: Record<string, string[]> = { tsx: ['bin/clinfer.mjs', 'runtime/util/own-files.ts'] };

  it('imports no devDependency from bin, runtime or adapters (tsx only where the sources are run)', () => {
    const found = new Map<string, string>();
    for (const dir of ['bin', 'runtime', 'adapters']) {
      for (const f of filesUnder(dir).filter((p) => /\.(ts|mts|mjs|js)$/.test(p) && !p.endsWith('.d.ts'))) {
        const source = read(f);
        const specifiers = [
          ...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^;'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
          ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
          ...source.matchAll(/\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g),
        ].map((m) => m[1]!);
        for (const s of specifiers) {
          if (s.startsWith('.') || s.startsWith('node:')) continue;
          const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
          if (SOURCE_RUN_ONLY[name]?.includes(f)) continue;
          found.set(name, f);
        }
      }
    }
    expect(found.size).toBeGreaterThan(0);
    for (const [name, where] of found) expect(pkg.dependencies, `${name} (imported by ${where}) is a dependency`).toHaveProperty([name]);
  });
});

describe('the linter bites', () => {
  it('the house rules report an unpinned or latest base, root, no HEALTHCHECK, no SBOM, a narrating header', () => {
    const text = read('Dockerfile');
    const pinned = /node:20-bookworm-slim@sha256:[0-9a-f]{64}/;
    expect(policy(text.replace(pinned, 'node:20-bookworm-slim'))).toEqual([expect.stringMatching(/node:20-bookworm-slim is not pinned by digest/)]);
    expect(policy(text.replace(pinned, 'node:latest'))).toEqual(expect.arrayContaining([expect.stringMatching(/node:latest names no version tag/)]));
    expect(policy(text.replace(pinned, 'node'))).toEqual(expect.arrayContaining([expect.stringMatching(/node names no version tag/)]));
    expect(policy(text.replace('USER node', 'USER root'))).toEqual(['the final stage does not switch to a non-root USER']);
    expect(policy(text.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''))).toEqual(['the final stage has no HEALTHCHECK']);
    expect(policy(text.replace(/ && npm sbom [^\n]*\n/, '\n'))).toEqual([expect.stringMatching(/is not followed by `npm sbom/)]);
    expect(policy(text.replace('COPY --from=build /app/sbom.cdx.json ./sbom.cdx.json\n', ''))).toEqual(['the final stage does not copy sbom.cdx.json from the build stage']);
    expect(policy(`${text}\n# How this file was checked (on the development machines, in /work/main)\n`)).toEqual([expect.stringMatching(/narrates a development machine/)]);
    expect(policy(read('Dockerfile.gpu').replace(/(cuda:12\.8\.1-cudnn-runtime-ubuntu22\.04)@sha256:[0-9a-f]{64}/, '$1'))).toEqual([expect.stringMatching(/cudnn-runtime-ubuntu22\.04 is not pinned/)]);
  });

  it('reports a bad port and an unknown instruction', () => {
    const codes = lint('FROM node:20-bookworm-slim\nEXPOSE notaport\nSERVE now\n').map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining([ValidationCode.INVALID_PORT, ValidationCode.UNKNOWN_INSTRUCTION]));
  });

  it('reports a break in the real Dockerfile (a second HEALTHCHECK, a duration without unit, a named port)', () => {
    const text = read('Dockerfile');
    const codes = (t: string) => lint(t).map((d) => d.code);
    expect(codes(`${text}\nHEALTHCHECK NONE\n`)).toContain(ValidationCode.MULTIPLE_INSTRUCTIONS);
    expect(codes(text.replace('--interval=15s', '--interval=15'))).toContain(ValidationCode.FLAG_MISSING_DURATION);
    expect(codes(text.replace('EXPOSE 8080 8081', 'EXPOSE 8080 grpc'))).toContain(ValidationCode.INVALID_PORT);
  });
});
