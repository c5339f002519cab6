import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { ClinferServer } from '../../runtime/server.js';
import { DEMO_MODELS, ROOT, postJson, startTestServer } from '../helpers/server.js';

/**
 * deploy/monitoring against real peers: a real Prometheus (Debian's package) scrapes a real clinfer every
 * second with alerts.yaml loaded; the PromQL the dashboard and the alerts rely on is evaluated by it, and
 * every metric name they use must be one clinfer actually exports.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const MONITORING = join(ROOT, 'deploy/monitoring');
const ALERTS = join(MONITORING, 'alerts.yaml');
const DASHBOARD = join(MONITORING, 'grafana-dashboard.json');
const DEMO_MODEL_NAMES = readdirSync(DEMO_MODELS).filter((name) => statSync(join(DEMO_MODELS, name)).isDirectory()).sort();
const P99 = 'histogram_quantile(0.99, sum by (le) (rate(clinfer_inference_request_duration_seconds_bucket{model="heart-disease-risk"}[1m])))';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: ClinferServer;
let prometheus: RunningPrometheus | undefined;
let workDir: string | undefined;
let metricsText = '';
let requestNumber = 0;

// ------------------------------------------------------------------------------------------------ helpers

function row(i: number): number[] {
  return [40 + (i % 40), i % 2, 1 + (i % 4), 110 + (i % 50), 180 + (i % 120), i % 2, i % 3, 100 + (i % 90), (i >> 1) % 2, (i % 40) / 10, 1 + (i % 3), i % 4, [3, 6, 7][i % 3]!];
}

async function infer(): Promise<void> {
  const i = requestNumber++;
  const n = 1 + (i % 3);
  const rows = Array.from({ length: n }, (_, k) => row(i * 3 + k));
  const r = await postJson(`${server.url}/v2/models/heart-disease-risk/infer`, { inputs: [{ name: 'features', shape: [n, 13], datatype: 'FP32', data: rows.flat() }] });
  if (r.status !== 200) throw new Error(`inference request ${i} answered ${r.status}: ${r.text}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a value other than undefined; throws `what` with the last error after `ms`. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`${what}: not reached within ${ms} ms${last ? ` (last error: ${(last as Error).message})` : ''}${prometheus ? `\nPrometheus log:\n${prometheus.log()}` : ''}`);
    await sleep(250);
  }
}

interface RunningPrometheus {
  readonly url: string;
  readonly process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

function killOnExit(child: ChildProcess): () => void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return () => process.removeListener('exit', kill);
}

/** Starts Prometheus on a free loopback port; retries with another port if the one picked was taken meanwhile. */
async function startPrometheus(configFile: string, dataDir: string): Promise<RunningPrometheus> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(PROMETHEUS, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    let spawnError: Error | undefined;
    child.on('error', (error) => { spawnError = error; });
    const forget = killOnExit(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const running: RunningPrometheus = {
      url,
      process: child,
      log: () => output.trim() || '(nothing)',
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
          if (!stopped) {
            child.kill('SIGKILL');
            await exited;
          }
        }
        forget();
      },
    };
    const ready = await (async () => {
      const end = Date.now() + 15_000;
      while (Date.now() < end) {
        if (spawnError || child.exitCode !== null || child.signalCode !== null) return false;
        try {
          if ((await fetch(`${url}/-/ready`)).status === 200) return true;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      return false;
    })();
    if (ready) return running;
    await running.stop();
    if (attempt < 3 && /address already in use/i.test(output)) continue;
    throw new Error(`Prometheus did not become ready on ${url}${spawnError ? ` (${spawnError.message})` : ''}:\n${running.log()}`);
  }
}

async function api<T = any>(path: string): Promise<T> {
  if (!prometheus) throw new Error('Prometheus is not running');
  const res = await fetch(`${prometheus.url}${path}`);
  const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
  if (body.status !== 'success') throw new Error(`GET ${path}: ${res.status} ${body.errorType}: ${body.error}`);
  return body.data;
}

interface VectorSample { metric: Record<string, string>; value: [number, string] }

async function query(promql: string): Promise<VectorSample[]> {
  const data = await api<{ resultType: string; result: VectorSample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (data.resultType !== 'vector') throw new Error(`${promql}: result type ${data.resultType}`);
  return data.result;
}

// ------------------------------------------------------------------------------- PromQL name extraction

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** Metric names a PromQL expression (possibly with Grafana variables) selects, by a small tokenizer. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings (label values, regexes)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery durations
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?\w+(?::\w+)?\}?/g, ' '); // Grafana variables
  const names: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    if (!PROMQL_KEYWORDS.has(m[1]!.toLowerCase())) names.push(m[1]!);
  }
  return names;
}

/** Every series name a scrape of this exposition can produce (histograms: _bucket, _sum, _count), plus `up`. */
function exposedNames(text: string): Set<string> {
  const names = new Set(['up']);
  for (const line of text.split('\n')) {
    const type = line.match(/^# TYPE (\S+) (\w+)/);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram' || type[2] === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(type[1]! + s);
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][\w:]*)[{ ]/);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

/** Grafana's variables replaced by values Prometheus accepts. */
function substituteGrafana(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$__range|\$\{__range\}/g, '5m')
    .replace(/\$\{?\w+(?::\w+)?\}?/g, '.*');
}

interface Panel { id: number; type: string; title: string; datasource?: { uid?: string }; gridPos?: { x: number; y: number; w: number; h: number }; targets?: { expr?: string; refId?: string; datasource?: { uid?: string } }[]; panels?: Panel[] }

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { schemaVersion: number; __inputs?: { name: string; type: string; pluginId: string }[]; templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] }; panels: Panel[] };

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const queryPanels = () => allPanels(dashboard.panels).filter((p) => p.type !== 'row' && p.type !== 'text');
const dashboardExprs = () => queryPanels().flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));

const alertRules = () => {
  const doc = parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: { alert?: string; record?: string; expr: string; annotations?: Record<string, string> }[] }[] };
  return doc.groups;
};

// ---------------------------------------------------------------------------------------------- set-up

beforeAll(async () => {
  if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) {
    throw new Error(`${PROMETHEUS} or ${PROMTOOL} is missing: install Debian's prometheus package (apt-get install prometheus), as .ci/run does`);
  }
  server = await startTestServer(DEMO_MODELS);
  // A few dozen requests before Prometheus exists: the series are there at its first scrape.
  for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 6 }, () => infer()));
  metricsText = await (await fetch(`${server.url}/metrics`)).text();

  workDir = mkdtempSync(join(tmpdir(), 'clinfer-prometheus-'));
  const configFile = join(workDir, 'prometheus.yml');
  const target = new URL(server.url).host;
  // JSON is YAML: no quoting surprises with paths.
  writeFileSync(configFile, JSON.stringify({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [ALERTS],
    scrape_configs: [{ job_name: 'clinfer', metrics_path: '/metrics', static_configs: [{ targets: [target] }] }],
  }, null, 2));
  prometheus = await startPrometheus(configFile, join(workDir, 'data'));
  await until('the clinfer target up in Prometheus', 30_000, async () => {
    const data = await api<{ activeTargets: { labels: Record<string, string>; health: string }[] }>('/api/v1/targets?state=active');
    return data.activeTargets.some((t) => t.labels.job === 'clinfer' && t.labels.instance === target && t.health === 'up') ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await server?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------ tests

describe('alerts.yaml', () => {
  it('passes promtool check rules, and the example prometheus.yml passes promtool check config', () => {
    const rules = spawnSync(PROMTOOL, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(rules.status, rules.stdout + rules.stderr).toBe(0);
    const config = spawnSync(PROMTOOL, ['check', 'config', join(MONITORING, 'prometheus.yml')], { encoding: 'utf8' });
    expect(config.status, config.stdout + config.stderr).toBe(0);
  });

  it('is loaded by Prometheus, every group and rule, and every rule evaluates without error', async () => {
    const groups = alertRules();
    type ApiRule = { name: string; health: string; lastError?: string; lastEvaluation: string };
    const loaded = await until('every rule evaluated once', 20_000, async () => {
      const data = await api<{ groups: { name: string; file: string; rules: ApiRule[] }[] }>('/api/v1/rules');
      const rules = data.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001-')) ? data.groups : undefined;
    });
    // The API lists groups sorted by name, each group's rules in file order.
    expect(loaded.map((g) => g.name).sort()).toEqual(groups.map((g) => g.name).sort());
    for (const g of loaded) expect(g.file).toBe(ALERTS);
    for (const g of groups) {
      expect(loaded.find((l) => l.name === g.name)!.rules.map((r) => r.name), g.name).toEqual(g.rules.map((r) => r.alert ?? r.record));
    }
    const broken = loaded.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
    expect(broken.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
    // Nothing is wrong with this server: no alert is pending or firing.
    const alerts = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
    expect(alerts.alerts.map((a) => `${a.labels.alertname} ${a.state}`)).toEqual([]);
  });

  it('uses only metrics clinfer exports, and every alert has a summary, a description and a runbook', () => {
    const exposed = exposedNames(metricsText);
    for (const g of alertRules()) {
      for (const r of g.rules) {
        const names = metricNames(r.expr);
        expect(names.length, `${r.alert}: no metric found in ${r.expr}`).toBeGreaterThan(0);
        for (const name of names) expect(exposed.has(name), `${r.alert} uses ${name}, which clinfer does not export`).toBe(true);
        if (r.alert) expect(Object.keys(r.annotations ?? {}).sort(), r.alert).toEqual(expect.arrayContaining(['description', 'runbook', 'summary']));
      }
    }
  });
});

describe('Prometheus scraping clinfer', () => {
  it('computes the p99 end-to-end latency of heart-disease-risk from the histogram', async () => {
    // rate() needs two scrapes that differ: keep requests coming until the quantile is a number.
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        await Promise.all([infer(), infer()]);
        await sleep(50);
      }
    })();
    let p99: number;
    try {
      p99 = await until('a finite p99 from Prometheus', 20_000, async () => {
        const [sample] = await query(P99);
        const v = Number(sample?.value[1]);
        return Number.isFinite(v) && v > 0 ? v : undefined;
      });
    } finally {
      sending = false;
      await traffic;
    }
    console.info(`p99 end-to-end latency of heart-disease-risk seen by Prometheus: ${(p99 * 1000).toFixed(3)} ms after ${requestNumber} requests`);
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThanOrEqual(10); // the top finite bucket
  });

  it('sees every demo model READY', async () => {
    expect(DEMO_MODEL_NAMES).toEqual(['chest-xray-pneumonia', 'heart-disease-risk', 'pbc-risk']);
    const result = await query('clinfer_model_state{job="clinfer",state="READY"}');
    const byModel = Object.fromEntries(result.map((s) => [s.metric.model, s.value[1]]));
    expect(byModel).toEqual(Object.fromEntries(DEMO_MODEL_NAMES.map((m) => [m, '1'])));
  });
});

describe('grafana-dashboard.json', () => {
  it('is an importable dashboard: schema 36+, ${DS_PROMETHEUS} data source, model and version variables', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }));
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    for (const name of ['model', 'version']) {
      expect(vars[name]?.type, `variable ${name}`).toBe('query');
      expect(JSON.stringify(vars[name]?.query)).toMatch(new RegExp(`label_values\\(.*, ${name}\\)`));
    }
    const ids = allPanels(dashboard.panels).map((p) => p.id);
    expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
    for (const p of allPanels(dashboard.panels)) {
      expect(p.gridPos, p.title).toBeDefined();
      expect(p.gridPos!.x + p.gridPos!.w, `${p.title} fits the 24-column grid`).toBeLessThanOrEqual(24);
    }
    for (const p of queryPanels()) {
      expect(p.datasource?.uid, p.title).toBe('${DS_PROMETHEUS}');
      expect(p.targets?.length, `${p.title} has targets`).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.expr?.trim(), `${p.title} ${t.refId}: expr`).toBeTruthy();
        expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe('${DS_PROMETHEUS}');
      }
    }
  });

  it('references only metric names that clinfer /metrics exposes (or up), and all the ones it should', () => {
    // The extractor itself, so that the check below cannot pass vacuously.
    expect(metricNames('histogram_quantile(0.99, sum by (model, le) (rate(clinfer_x_bucket{model=~"$model"}[$__rate_interval]))) / on (job) group_left up offset 5m')).toEqual(['clinfer_x_bucket', 'up']);
    const exposed = exposedNames(metricsText);
    const used = new Set<string>();
    for (const { panel, expr } of dashboardExprs()) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: no metric found in ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(exposed.has(name), `panel "${panel}" uses ${name}, which clinfer does not export`).toBe(true);
        used.add(name);
      }
    }
    expect([...used]).toEqual(expect.arrayContaining([
      'clinfer_inference_requests_total',
      'clinfer_inference_request_duration_seconds_bucket',
      'clinfer_inference_queue_duration_seconds_bucket',
      'clinfer_inference_compute_duration_seconds_bucket',
      'clinfer_inference_batch_size_sum',
      'clinfer_inference_batch_size_count',
      'clinfer_inference_pending_requests',
      'clinfer_inference_rejections_total',
      'clinfer_model_state',
      'clinfer_model_execution_provider',
      'clinfer_model_load_duration_seconds_sum',
      'clinfer_cds_feedback_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'up',
    ]));
  });

  it('has PromQL that Prometheus accepts, and variables that list the demo models', async () => {
    for (const { panel, expr } of dashboardExprs()) {
      await expect(query(substituteGrafana(expr)), `panel "${panel}": ${expr}`).resolves.toBeDefined();
    }
    // The state timeline's encoding (LOADING=1, READY=2, UNLOADING=3, UNAVAILABLE=4) as its value mappings say.
    const timeline = queryPanels().find((p) => p.type === 'state-timeline');
    expect(timeline, 'a state-timeline panel for model states').toBeDefined();
    const encoded = await query(substituteGrafana(timeline!.targets![0]!.expr!));
    expect(Object.fromEntries(encoded.map((s) => [s.metric.model, s.value[1]]))).toEqual(Object.fromEntries(DEMO_MODEL_NAMES.map((m) => [m, '2'])));
    expect(JSON.stringify(timeline)).toContain('"2":{"text":"READY"');

    const values: Record<string, string[]> = {};
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const m = (v.definition ?? '').match(/^label_values\((.+),\s*(\w+)\)$/);
      expect(m, `variable ${v.name}: ${v.definition}`).toBeTruthy();
      values[v.name] = await api<string[]>(`/api/v1/label/${m![2]}/values?match[]=${encodeURIComponent(substituteGrafana(m![1]!))}`);
    }
    expect(values.job).toEqual(['clinfer']);
    expect(values.model).toEqual(DEMO_MODEL_NAMES);
    expect(values.version).toEqual(['1']);
  });
});
