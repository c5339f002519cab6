/** Part A's latency-throughput chart (results/latency-throughput.svg) from a run's results; drawn by ../chart.ts. */
import { type ChartPanel, type ChartSeries, latencyThroughputSvg } from '../chart.js';
import { fmt } from '../stats.js';
import { IMAGE_MODELS } from './models.js';
import type { BenchResults, HttpRow } from './results.js';

export function latencyChart(res: BenchResults, concurrency: readonly number[], caption: { date: string; cpuModel: string; cores: number; gitRevision: string }): string {
  const panels: ChartPanel[] = [];
  for (const pct of ['p50', 'p99'] as const) {
    for (const m of IMAGE_MODELS) {
      const series: ChartSeries[] = [];
      const add = (name: string, system: string, batching: 'on' | 'off' | undefined, color: string, dashed = false) => {
        const points = concurrency.map((c) => res.findRow('A', m.name, system, c, batching)).filter((r): r is HttpRow => !!r)
          .map((r) => ({ x: r.itemsPerSec, y: (pct === 'p50' ? r.p50Ms : r.p99Ms) ?? NaN, label: String(r.concurrency) }));
        if (points.length) series.push({ name, color, dashed, points });
      };
      add('HTTP floor (no inference)', 'http-floor', undefined, '#bbbbbb', true);
      add('thread floor (one worker hop, no batching)', 'thread-floor', undefined, '#9467bd', true);
      add('naive express (JSON)', 'naive-express', undefined, '#777777');
      add('clinfer JSON, batching on', 'clinfer-json', 'on', '#1f77b4');
      add('clinfer JSON, batching off', 'clinfer-json', 'off', '#1f77b4', true);
      add('clinfer binary, batching on', 'clinfer-binary', 'on', '#2ca02c');
      add('clinfer binary, batching off', 'clinfer-binary', 'off', '#2ca02c', true);
      const b1 = res.limitBatch1(m.name);
      const best = res.limitBest(m.name);
      const vlines = [
        ...(b1 ? [{ x: b1.itemsPerSec, label: `in-process limit, batch 1: ${fmt(b1.itemsPerSec)}/s`, color: '#ff7f0e' }] : []),
        ...(best && best !== b1 ? [{ x: best.itemsPerSec, label: `in-process limit, batch ${best.batch}: ${fmt(best.itemsPerSec)}/s`, color: '#d62728' }] : []),
      ];
      panels.push({ title: `${m.name}: ${pct} latency`, xLabel: 'throughput (images/s, log)', yLabel: `${pct} latency (ms, log)`, series, vlines });
    }
  }
  return latencyThroughputSvg(
    `clinfer: latency against throughput (closed loop, C = ${concurrency.join(', ')})`,
    `${caption.date.slice(0, 16).replace('T', ' ')} UTC · ${caption.cpuModel} · ${caption.cores} cores · ${caption.gitRevision} · labels: concurrency`,
    panels, 2,
  );
}
