/** The figures of benchmarks/browser.ts and their markdown summary (no browser, no server: --redraw renders it too). */

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export type Bytes = { bytes: number; byEncoding: Record<string, number>; requests: number };

export interface BrowserFigures {
  date: string;
  runs: number;
  cold: number[];
  coldBytes: { toFirstResult: Bytes; withServiceWorker: Bytes }[];
  overLink: { mbit: number } & Record<'compressed' | 'uncompressed', { ms: number[]; bytes: number[] }>;
  warm: number[];
  inPage: Record<string, { decodeMs: number; inferenceMs: number }>;
  server: Record<string, number>;
  nodeInferMs: number;
}

const f = (n: number | undefined) => (n === undefined ? '' : n.toFixed(n < 1 ? 3 : 1));
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const byEncoding = (b: Bytes) => Object.entries(b.byEncoding).map(([e, n]) => `${e} ${mb(n)}`).join(', ');

/** The markdown summary: cold/warm times, cold bytes by encoding, the paced-link loads, in-page timings. */
export function browserReport(b: BrowserFigures): string {
  const { runs, cold, warm, coldBytes, overLink, inPage, nodeInferMs } = b;
  const mbit = overLink.mbit;
  const lastBytes = coldBytes[coldBytes.length - 1]!;
  return [
  `Page open to first X-ray result (median of ${runs} cold, ${warm.length} warm): **cold ${median(cold)} ms, warm ${median(warm)} ms**.`,
  `Cold bytes transferred: **${mb(lastBytes.toFirstResult.bytes)} to the first result** (${lastBytes.toFirstResult.requests} answers; ${byEncoding(lastBytes.toFirstResult)}), ` +
    `${mb(lastBytes.withServiceWorker.bytes)} once the service worker has precached the app (${lastBytes.withServiceWorker.requests} answers; ${byEncoding(lastBytes.withServiceWorker)}).`,
  `Over a ${mbit} Mbit/s link (median of ${runs}), cold to first result: **compressed ${median(overLink.compressed.ms)} ms (${mb(median(overLink.compressed.bytes))}), ` +
    `uncompressed ${median(overLink.uncompressed.ms)} ms (${mb(median(overLink.uncompressed.bytes))})**.`,
  '',
  '| input | decode + preprocess in the page (ms) | on the server side (ms) | inference in the page (ms) | onnxruntime-node (ms) |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...Object.entries(inPage).map(([name, t]) => `| ${name} | ${f(t.decodeMs)} | ${f(b.server[name])} | ${f(t.inferenceMs)} | ${name.startsWith('heart') ? '' : f(nodeInferMs)} |`),
].join('\n');
}

