import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lagDelta, parseLagHistogram } from '../../../benchmarks/run/event-loop-lag.js';
import { evaluateGoals, xrayTargets } from '../../../benchmarks/run/goals.js';
import { OptionError, parseOptions } from '../../../benchmarks/run/options.js';
import { writeReadmeBlock } from '../../../benchmarks/run/readme-block.js';
import { BenchResults, resultsFromSaved, type SavedRun } from '../../../benchmarks/run/results.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const baseline = JSON.parse(readFileSync(join(ROOT, 'benchmarks/results/baseline-2026-12-04.json'), 'utf8')) as SavedRun;
const tmp = mkdtempSync(join(tmpdir(), 'clinfer-bench-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm run bench: goals', () => {
  it('gives the baseline run its own figures: PaddleOCR C=32 ÷ limit, and the worst C=1 excess', () => {
    const goals = evaluateGoals(resultsFromSaved(baseline), undefined, undefined);
    const g1 = goals.find((g) => g.id === 'G1')!;
    const bin = baseline.http.find((r) => r.part === 'A' && r.model === 'ppocr' && r.system === 'clinfer-binary' && r.concurrency === 32 && r.batching === 'on')!;
    const best = Math.max(...baseline.inProcessLimits.filter((l) => l.model === 'ppocr' && l.sessions === 2 && l.intraOpThreads === 1).map((l) => l.itemsPerSec));
    expect(g1.now.value).toBeCloseTo(bin.itemsPerSec / best, 10);
    expect(g1.met).toBe(false);
    expect(g1.profile?.model.name).toBe('ppocr');
    const g4 = goals.find((g) => g.id === 'G4')!;
    const excess = (model: string) => baseline.http.find((r) => r.model === model && r.system === 'clinfer-binary' && r.concurrency === 1 && r.batching === 'on')!.p50Ms!
      - baseline.inProcessLatency.find((l) => l.model === model)!.p50Ms;
    expect(g4.now.value).toBeCloseTo(Math.max(excess('ppocr'), excess('chest-xray-pneumonia')), 10);
  });

  it('says "not measured" for what a run lacks, and takes "before" from the baseline or a named source', () => {
    const goals = evaluateGoals(new BenchResults(2), resultsFromSaved(baseline), undefined);
    for (const g of goals) {
      expect(g.now.value).toBeUndefined();
      expect(g.met).toBeUndefined();
      expect(g.before.text).not.toBe('');
    }
    expect(goals.find((g) => g.id === 'G1')!.before.value).toBeGreaterThan(0);
    expect(goals.find((g) => g.id === 'G3')!.before.text).toMatch(/issue 16/);
    expect(xrayTargets(new BenchResults(2), undefined, [1, 8]).every((t) => t.met === undefined)).toBe(true);
  });
});

describe('npm run bench: event-loop lag between two scrapes', () => {
  const scrape = (buckets: number[], sum: number) => [
    '# TYPE clinfer_event_loop_lag_seconds histogram',
    ...['0.001', '0.0025', '0.005', '0.01', '+Inf'].map((le, i) => `clinfer_event_loop_lag_seconds_bucket{le="${le}"} ${buckets[i]}`),
    `clinfer_event_loop_lag_seconds_sum ${sum}`,
    `clinfer_event_loop_lag_seconds_count ${buckets[4]}`,
  ].join('\n');

  it('counts only the samples of the phase, p99 and max as bucket bounds', () => {
    const before = parseLagHistogram(scrape([10, 10, 10, 10, 10], 0.005))!;
    // 100 new samples: 98 under 1 ms, 1 under 2.5 ms, 1 under 10 ms.
    const after = parseLagHistogram(scrape([108, 109, 109, 110, 110], 0.105))!;
    expect(lagDelta(before, after)).toEqual({ samples: 100, p99Ms: 2.5, maxMs: 10, meanMs: 1 });
  });

  it('has nothing to say without new samples or without the metric', () => {
    const h = parseLagHistogram(scrape([1, 1, 1, 1, 1], 0))!;
    expect(lagDelta(h, h)).toBeUndefined();
    expect(parseLagHistogram('clinfer_requests_total 3')).toBeUndefined();
  });
});

describe('npm run bench: options and the README block', () => {
  it('refuses an unknown part, and --quick shortens the rows', () => {
    expect(() => parseOptions(['--parts', 'A,Z'])).toThrow(OptionError);
    expect(() => parseOptions(['--workers', '0'])).toThrow(/--workers must be a positive integer/);
    const quick = parseOptions(['--quick', '--parts', 'a,d']);
    expect(quick).not.toBe('help');
    if (quick === 'help') return;
    expect([...quick.parts]).toEqual(['A', 'D']);
    expect(quick.rowSeconds).toBeLessThan((parseOptions([]) as { rowSeconds: number }).rowSeconds);
    expect(quick.writeReadme).toBe(false);
  });

  it('replaces only the generated block, and leaves a file without one alone', () => {
    const file = join(tmp, 'README.md');
    writeFileSync(file, 'intro\n<!-- bench:generated:start -->\nold\n<!-- bench:generated:end -->\nafter\n');
    expect(writeReadmeBlock('new report', file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('intro\n<!-- bench:generated:start -->\nnew report\n<!-- bench:generated:end -->\nafter\n');
    writeFileSync(file, 'no block\n');
    expect(writeReadmeBlock('x', file)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('no block\n');
  });
});
