/**
 * Maps positions in the JavaScript that tsx generated back to lines of the TypeScript source. tsx
 * compiles each .ts file to one line, so a CPU profile's line numbers are all 1 for them; this loads
 * the same files with the same loader and --enable-source-maps and asks Node's source map.
 *
 *   node --enable-source-maps --import tsx benchmarks/source-positions.ts '[{"url":"file:///…/x.ts","line":0,"column":177}]'
 *
 * Prints a JSON array: the 1-based original line of each position, or null where unknown.
 */
import { findSourceMap } from 'node:module';

const positions = JSON.parse(process.argv[2] ?? '[]') as { url: string; line: number; column: number }[];
const loaded = new Map<string, boolean>();
const lines: (number | null)[] = [];
for (const p of positions) {
  if (!loaded.has(p.url)) {
    loaded.set(p.url, await import(p.url).then(() => true, () => false));
  }
  const map = loaded.get(p.url) ? findSourceMap(p.url) : undefined;
  const entry = map?.findEntry(p.line, p.column) as { originalLine?: number } | undefined;
  lines.push(entry && typeof entry.originalLine === 'number' ? entry.originalLine + 1 : null);
}
process.stdout.write(JSON.stringify(lines));
// Some of the imported modules may hold the event loop open (timers, handles): nothing else is needed.
process.exit(0);
