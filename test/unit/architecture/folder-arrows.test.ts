import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies between folders point one way (docs/architecture.md). Every relative import of the
 * source folders (static, `import type`, `export … from`, dynamic `import()`, `require`) is read with
 * the TypeScript compiler's pre-processor and mapped to a node: `runtime/<folder>`, a file directly
 * under runtime/ (`runtime/server.ts`), or a top-level folder (`adapters`, `app`, …). Package imports
 * are not arrows.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const SOURCE_FOLDERS = ['runtime', 'adapters', 'app', 'tools', 'benchmarks', 'bin'];
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'results', 'vendor']);
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/**
 * Arrows that are known to point the wrong way and are being moved by someone: each with who and why.
 * Empty is the goal; an entry here is left out of every check below.
 */
const KNOWN_EXCEPTIONS: ReadonlyArray<{ from: string; to: string; why: string }> = [];

interface Arrow {
  readonly from: string;
  readonly to: string;
  /** `file: specifier` of one import that makes the arrow (the first found). */
  readonly example: string;
}

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (SKIPPED_FOLDERS.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The node a repository-relative path belongs to. */
function nodeOf(path: string): string {
  const parts = path.split(sep).join('/').split('/');
  if (parts[0] === 'runtime' && parts.length > 2) return `runtime/${parts[1]}`;
  if (parts[0] === 'runtime' && parts.length === 2) return `runtime/${parts[1]!.replace(/\.(js|ts)$/, '.ts')}`;
  return parts[0]!;
}

function readArrows(): Arrow[] {
  const arrows = new Map<string, Arrow>();
  for (const folder of SOURCE_FOLDERS) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      const from = nodeOf(relative(ROOT, file));
      for (const imported of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (!imported.fileName.startsWith('.')) continue;
        const to = nodeOf(relative(ROOT, resolve(dirname(file), imported.fileName)));
        if (to === from || arrows.has(`${from} -> ${to}`)) continue;
        arrows.set(`${from} -> ${to}`, { from, to, example: `${relative(ROOT, file)}: ${imported.fileName}` });
      }
    }
  }
  return [...arrows.values()].filter((a) => !KNOWN_EXCEPTIONS.some((e) => e.from === a.from && e.to === a.to));
}

/** Strongly connected components of more than one node (Tarjan): each is a cycle. */
function cycles(arrows: readonly Pick<Arrow, 'from' | 'to'>[]): string[][] {
  const next = new Map<string, string[]>();
  for (const a of arrows) next.set(a.from, [...(next.get(a.from) ?? []), a.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The rows of docs/architecture.md's runtime table, top (entry points) first: node names per row. */
function documentedLayers(): string[][] {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Inside runtime/'));
  const rows = section.split('\n').filter((line) => /^\| [^-|]/.test(line) && !line.startsWith('| Layer |'));
  return rows.map((row) => [...row.split('|')[2]!.matchAll(/`([a-z-]+)(\/|\.ts)`/g)].map((m) => `runtime/${m[1]}${m[2] === '.ts' ? '.ts' : ''}`));
}

const arrows = readArrows();
const described = (list: readonly Arrow[]) => list.map((a) => `${a.from} -> ${a.to} (${a.example})`);

describe('folder arrows', () => {
  it('are read from the sources (the reader sees the wiring file import the transports)', () => {
    expect(arrows.length).toBeGreaterThan(100);
    expect(arrows.some((a) => a.from === 'runtime/server.ts' && a.to === 'runtime/http')).toBe(true);
    expect(arrows.some((a) => a.from === 'app' && a.to === 'adapters')).toBe(true);
  });

  it('never leave adapters for anything of ours: adapters are pure and never import runtime/', () => {
    expect(described(arrows.filter((a) => a.from === 'adapters'))).toEqual([]);
  });

  it('from app/ (the browser) reach only adapters/', () => {
    expect(described(arrows.filter((a) => a.from === 'app' && a.to !== 'adapters'))).toEqual([]);
  });

  it('from runtime/ reach only runtime/ and adapters/ (never test/, benchmarks/, tools/, app/)', () => {
    expect(described(arrows.filter((a) => a.from.startsWith('runtime/') && !a.to.startsWith('runtime/') && a.to !== 'adapters'))).toEqual([]);
  });

  it('from benchmarks/ and tools/ never reach test/', () => {
    expect(described(arrows.filter((a) => (a.from === 'benchmarks' || a.from === 'tools') && a.to === 'test'))).toEqual([]);
  });

  it('make no cycle between runtime folders', () => {
    const inRuntime = arrows.filter((a) => a.from.startsWith('runtime/') && a.to.startsWith('runtime/'));
    const found = cycles(inRuntime).map((c) => ({ cycle: c, arrows: described(inRuntime.filter((a) => c.includes(a.from) && c.includes(a.to))) }));
    expect(found).toEqual([]);
  });

  it('keep gone the back-arrows issue 19 named', () => {
    const named = [
      ['runtime/grpc', 'runtime/http'],
      ['runtime/config', 'runtime/auth'],
      ['runtime/metrics', 'runtime/audit'],
      ['benchmarks', 'test'],
    ];
    expect(described(arrows.filter((a) => named.some(([from, to]) => a.from === from && a.to === to)))).toEqual([]);
  });

  it('point down the layers written in docs/architecture.md, which name every runtime folder', () => {
    const layers = documentedLayers();
    const rowOf = new Map(layers.flatMap((row, i) => row.map((node) => [node, i] as const)));
    const nodes = new Set(arrows.flatMap((a) => [a.from, a.to]).filter((n) => n.startsWith('runtime/')));
    expect([...nodes].filter((n) => !rowOf.has(n)).sort(), 'runtime folders missing from the table in docs/architecture.md').toEqual([]);
    const upward = arrows.filter((a) => rowOf.has(a.from) && rowOf.has(a.to) && rowOf.get(a.to)! < rowOf.get(a.from)!);
    expect(described(upward)).toEqual([]);
  });

  it('find a cycle when there is one (the checker itself)', () => {
    expect(cycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'c', to: 'd' }])).toEqual([['a', 'b', 'c']]);
    expect(cycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }])).toEqual([]);
    expect(nodeOf('runtime/http/routes/infer.ts')).toBe('runtime/http');
    expect(nodeOf('runtime/server.js')).toBe('runtime/server.ts');
    expect(nodeOf('adapters/imaging/dicom/part10.ts')).toBe('adapters');
  });
});
