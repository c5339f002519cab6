/**
 * What clinfer's main thread spends per binary OIP infer request (issue 16, goals G3 and G4), measured on
 * its own: one clinfer child serving MNIST and PaddleOCR, driven by the bench's load generator with the
 * binary tensor data extension at C=1 and C=64. Reports the server main thread's CPU per request (from
 * /proc/<pid>/task/<pid>/schedstat: nanoseconds, user + system), the whole process's, and p50 at C=1.
 * On a shared machine compare CPU per request between runs, not throughput.
 *
 *   node --import tsx benchmarks/hot-path-cpu.ts [--seconds 5] [--warm 2] [--rounds 1] [--prof DIR]
 *     [--only 'mnist C=64,ppocr C=1'] [--floor] [--base DIR (another checkout, measured in turn with this one)]
 *     [--from-source (clinfer through tsx; by default the compiled dist/, which must be current: npm run build,
 *     or --build here; a --base tree's dist/ is always built)]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ChildProcessSet, clinferSpec, Loadgen, type ServerChild } from './run/children.js';
import { binaryPayload, jsonPayload, MNIST, PPOCR, type Payload } from './run/models.js';
import { makeRepository } from './run/repository.js';
import { processCpu, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warm: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    prof: { type: 'string' },
    only: { type: 'string' },
    floor: { type: 'boolean', default: false },
    base: { type: 'string' },
    'from-source': { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warm);
const rounds = Number(values.rounds);

/** The main thread's CPU time in µs (schedstat: ns on CPU). */
const mainThreadUs = (pid: number): number => Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;

const tmp = mkdtempSync(join(tmpdir(), 'clinfer-hot-path-'));
const fromSource = values['from-source'];
const children = new ChildProcessSet(fromSource);
// --base: a second clinfer from another checkout (e.g. `git archive HEAD` unpacked, node_modules linked),
// driven in the same run, case by case in turn with this one: a before/after figure under the same load.
const baseChildren: ChildProcessSet | undefined = values.base
  ? new ((await import(pathToFileURL(join(resolve(values.base), 'benchmarks/run/children.ts')).href)) as { ChildProcessSet: typeof ChildProcessSet }).ChildProcessSet(fromSource)
  : undefined;
// The compiled servers run each tree's dist/ (scripts/build.mjs, tsc). This tree's only with --build: a
// bench running meanwhile reads the same dist/.
if (!fromSource) {
  const roots = [...(values.build ? [fileURLToPath(new URL('../', import.meta.url))] : []), ...(values.base ? [resolve(values.base)] : [])];
  for (const root of roots) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
}
const loadgen = new Loadgen();
try {
  const repo = makeRepository(tmp, 'repo', [MNIST, PPOCR]);
  const spec = clinferSpec(repo, [MNIST.name, PPOCR.name], 2, 0);
  const servers: ServerChild[] = [await children.start('clinfer', spec, values.prof ? { dir: values.prof, intervalUs: 200 } : undefined)];
  if (baseChildren) servers.push(await baseChildren.start('base', spec));
  // The HTTP floor (node:http answering a fixed body, no inference): what any server pays per request here.
  const floor = values.floor ? await children.start('floor', { kind: 'floor', output: MNIST.output, elements: MNIST.outputPerItem }) : undefined;
  const cases: Array<{ name: string; payload: Payload; concurrency: number; servers: ServerChild[] }> = [
    { name: 'mnist C=64', payload: binaryPayload(MNIST), concurrency: 64, servers },
    { name: 'mnist C=1', payload: binaryPayload(MNIST), concurrency: 1, servers },
    { name: 'ppocr C=1', payload: binaryPayload(PPOCR), concurrency: 1, servers },
    ...(floor ? [
      // The floor answers JSON whatever it is sent (as in part D of the bench).
      { name: 'floor C=64', payload: { ...binaryPayload(MNIST), check: jsonPayload(MNIST).check }, concurrency: 64, servers: [floor] },
      { name: 'floor C=1', payload: { ...binaryPayload(MNIST), check: jsonPayload(MNIST).check }, concurrency: 1, servers: [floor] },
    ] : []),
  ];
  const only = values.only?.split(',');
  const figures: Record<string, Record<string, number>[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const c of cases.filter((x) => only === undefined || only.includes(x.name))) {
      // Alternate which server goes first, so that neither always meets the same neighbours' load.
      const order = round % 2 === 0 ? c.servers : [...c.servers].reverse();
      const pair: Record<string, number> = {};
      for (const server of order) pair[server.name] = await measure(c, server);
      (figures[c.name] ??= []).push(pair);
    }
  }
  if (servers.length > 1) {
    // Medians over the rounds, and the median of each round's ratio (the pair ran back to back).
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    for (const [name, rs] of Object.entries(figures)) {
      for (const other of servers.slice(1).map((x) => x.name)) {
        if (!rs[0] || rs[0][other] === undefined) continue;
        console.log(`${name.padEnd(11)} main µs/req, median of ${rs.length}: clinfer ${median(rs.map((r) => r.clinfer!)).toFixed(1)}, ${other} ${median(rs.map((r) => r[other]!)).toFixed(1)}; clinfer ÷ ${other}, median of the pairs: ${median(rs.map((r) => r.clinfer! / r[other]!)).toFixed(3)}`);
      }
    }
  }
  for (const s of servers) await s.stop();
  await floor?.stop();
} finally {
  loadgen.close();
  children.killAll();
  baseChildren?.killAll();
  rmSync(tmp, { recursive: true, force: true });
}

/** Runs one case against one server and prints it; returns the main thread's µs per request. */
async function measure(c: { name: string; payload: Payload; concurrency: number }, server: ServerChild): Promise<number> {
  const pid = server.pid!;
  let main0 = 0;
  let proc0 = processCpu(pid);
  const result = await loadgen.run({
    url: server.url + c.payload.path, headers: c.payload.headers, body: c.payload.body, concurrency: c.concurrency,
    warmupSeconds, seconds, requestTimeoutMs: 60_000, check: c.payload.check, client: 'http',
  }, async () => {
    main0 = mainThreadUs(pid);
    proc0 = processCpu(pid);
  });
  const mainUs = mainThreadUs(pid) - main0;
  const proc1 = processCpu(pid);
  const n = result.latenciesMs.length;
  const s = summarize(result.latenciesMs);
  const procUs = proc0 && proc1 ? ((proc1.processMs - proc0.processMs) * 1000) / n : NaN;
  console.log(`${c.name.padEnd(11)} ${server.name.padEnd(8)} ${String(n).padStart(6)} req  ${(n / (result.wallMs / 1000)).toFixed(0).padStart(5)} req/s  main ${(mainUs / n).toFixed(1).padStart(6)} µs/req  process ${procUs.toFixed(0).padStart(5)} µs/req  p50 ${s.p50Ms.toFixed(3)} ms  errors ${result.errors}${result.firstError ? ` (${result.firstError})` : ''}`);
  return mainUs / n;
}
