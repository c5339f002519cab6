import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCommand } from '../../runtime/cli/validate-command.js';
import type { ClinferServer } from '../../runtime/server.js';
import type { NetworkReport } from '../../runtime/validation/combine.js';
import type { ValidationReport } from '../../runtime/validation/report.js';
import { signDocument } from '../../runtime/validation/report-sign.js';
import { SMALL_LEVELS } from '../../runtime/validation/subgroups.js';
import { DEMO_MODELS, FIXTURES, startTestServer } from '../helpers/server.js';

/**
 * `clinfer validate` on the four UCI heart disease sites (test/fixtures/uci-heart, CC BY 4.0) with the demo
 * heart bundle, each site as a hospital with its own key; figures checked against
 * test/fixtures/uci-heart/independent-figures.json (numpy, none of clinfer's code: independent_figures.py).
 */
const SITES = ['cleveland', 'hungarian', 'switzerland', 'va'] as const;
const CSV = readFileSync(join(FIXTURES, 'uci-heart/uci_heart_disease_4sites_920rows.csv'), 'utf8').trim().split('\n');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'uci-heart/independent-figures.json'), 'utf8'));
let dir: string;
const reports: Record<string, ValidationReport> = {};
const reportFile = (site: string) => join(dir, site, 'report.json');
const keyFile = (site: string, kind: 'key' | 'pub') => join(dir, `${site}.${kind}`);

async function run(args: string[]): Promise<{ code: number; out: string; err: string; progress: string[] }> {
  const lines = { out: [] as string[], err: [] as string[], progress: [] as string[] };
  const code = await validateCommand(args, { log: (l) => lines.out.push(l), err: (l) => lines.err.push(l), progress: (l) => lines.progress.push(l) });
  return { code, out: lines.out.join('\n'), err: lines.err.join('\n'), progress: lines.progress };
}

const validateArgs = (site: string, data = join(dir, `${site}.csv`), out = join(dir, site)) => [
  '--models', DEMO_MODELS, '--model', 'heart-disease-risk', '--data', data, '--label', 'target', '--site', site,
  '--missing-code', 'chol=0', '--missing-code', 'trestbps=0', '--key', keyFile(site, 'key'), '--out', out,
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clinfer-validate-'));
  for (const site of SITES) {
    writeFileSync(join(dir, `${site}.csv`), [CSV[0], ...CSV.slice(1).filter((l) => l.endsWith(`,${site}`))].join('\n') + '\n');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile(site, 'key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(keyFile(site, 'pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const r = await run(validateArgs(site));
    expect(r.code, r.err).toBe(0);
    reports[site] = JSON.parse(readFileSync(reportFile(site), 'utf8'));
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('clinfer validate, per site', () => {
  it.each(['cleveland', 'hungarian', 'va'])('%s: AUC, DeLong SE, rates and Wilson intervals agree with the independent computation', (site) => {
    const r = reports[site]!;
    const e = expected.sites[site];
    expect(r.overall.n).toBe(e.n);
    expect([r.overall.positives, r.overall.negatives]).toEqual([e.positives, e.negatives]);
    // ONNX Runtime computes in float32, the independent script in float64: agreement to 1e-4.
    expect(Math.abs(r.overall.roc_auc.value! - e.roc_auc)).toBeLessThan(1e-4);
    expect(Math.abs(r.overall.roc_auc.se! - e.roc_auc_se)).toBeLessThan(1e-4);
    expect(r.overall.at_threshold.sensitivity.value).toBeCloseTo(e.sensitivity, 5);
    expect(r.overall.at_threshold.specificity.value).toBeCloseTo(e.specificity, 5);
    expect(r.overall.at_threshold.sensitivity.ci![0]).toBeCloseTo(e.sensitivity_ci[0], 5);
    expect(r.overall.at_threshold.specificity.ci![1]).toBeCloseTo(e.specificity_ci[1], 5);
  });

  it('names the bundle digest, the clinfer version, the data set digest and the operating point the bundle declares', () => {
    const r = reports.cleveland!;
    expect(r.bundle).toMatchObject({ name: 'heart-disease-risk', version: '1', digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.clinfer_version).toBe(JSON.parse(readFileSync(join(DEMO_MODELS, '../package.json'), 'utf8')).version);
    expect(r.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.operating_point).toEqual({ threshold: 0.5, source: 'provenance.evaluation.operating_point.threshold' });
    expect(r.subgroups.map((s) => `${s.variable}:${s.level}`)).toEqual(expect.arrayContaining(['sex:Female', 'sex:Male', 'age:<45', 'age:>=65']));
    expect(readFileSync(join(dir, 'cleveland', 'report.html'), 'utf8')).toMatch(/^<!doctype html>[\s\S]*<svg[\s\S]*ROC curve[\s\S]*Reliability diagram/);
  });

  it('says plainly whether the model performs as declared (bundle tolerance 0.05 on AUC)', () => {
    expect(reports.cleveland!.declared.verdict).toBe('as_declared');
    expect(reports.va!.declared.verdict).toBe('below_declared');
    expect(reports.va!.declared.statement).toMatch(/does NOT perform as declared here: roc_auc 0\.765/);
    // Switzerland: 8 patients without disease, a cell under k = 10: nothing outcome-related is published.
    expect(reports.switzerland!.overall.roc_auc).toMatchObject({ value: null, suppressed: expect.stringMatching(/fewer than 10/) });
    expect(reports.switzerland!.declared.verdict).toBe('not_assessable');
  });

  it('scores with the served model: the same probabilities as POST /v1/models/heart-disease-risk/predict', async () => {
    // The reliability bin means are averages of the report's probabilities; the server's for the same rows must give them.
    let server: ClinferServer | undefined;
    try {
      server = await startTestServer(DEMO_MODELS);
      const rows = CSV.slice(1).filter((l) => l.endsWith(',cleveland')).map((l) => l.split(','));
      const header = CSV[0]!.split(',');
      const features = header.slice(0, 13);
      const records = rows.map((cells) => Object.fromEntries(features.flatMap((f, j) => (cells[j] === '' || ((f === 'chol' || f === 'trestbps') && Number(cells[j]) === 0) ? [] : [[f, Number(cells[j])]]))));
      const res = await fetch(`${server.url}/v1/models/heart-disease-risk/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
      const served = ((await res.json()) as { predictions: Array<{ probability: number }> }).predictions.map((p) => p.probability);
      const labels = rows.map((cells) => Number(cells[13]));
      for (const bin of reports.cleveland!.overall.reliability) {
        const members = served.map((p, i) => ({ p, y: labels[i]! })).filter(({ p }) => p >= bin.lower && (p < bin.upper || bin.upper === 1));
        expect(members.length).toBe(bin.n);
        expect(members.reduce((s, m) => s + m.p, 0) / members.length).toBeCloseTo(bin.mean_predicted, 5);
      }
    } finally {
      await server?.close();
    }
  }, 60_000);
});

describe('no patient-level data in a report', () => {
  const numbers = (v: unknown, path = '', out: Array<[string, number]> = []): Array<[string, number]> => {
    if (typeof v === 'number') out.push([path, v]);
    else if (Array.isArray(v)) v.forEach((x, i) => numbers(x, `${path}[${i}]`, out));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) numbers(x, `${path}.${k}`, out);
    return out;
  };

  it('every published count is at least k = 10 (or 0 for counts of problems)', () => {
    for (const site of SITES) {
      for (const [path, value] of numbers(reports[site])) {
        if (/\.(n|positives|negatives|rows|scored)$/.test(path)) expect(value, `${site} ${path}`).toBeGreaterThanOrEqual(10);
        if (/\.(no_outcome|refused_invalid|refused_insufficient_data|out_of_range|invalid|units_converted)$/.test(path) && value !== 0) expect(value, `${site} ${path}`).toBeGreaterThanOrEqual(10);
      }
      // Each step of the ROC curve holds >= 10 patients of each class.
      const o = reports[site]!.overall;
      o.roc_curve.slice(1).forEach(([fpr, tpr], i) => {
        const [fpr0, tpr0] = o.roc_curve[i]!;
        expect(Math.round((tpr - tpr0) * o.positives!)).toBeGreaterThanOrEqual(10);
        expect(Math.round((fpr - fpr0) * o.negatives!)).toBeGreaterThanOrEqual(10);
      });
    }
  });

  it('no row of the input can be recovered: no row of 9 patients, and no single row, leaves a trace', async () => {
    // Nine Cleveland patients (fewer than k): the report holds nothing computed from their values or outcomes.
    const nine = join(dir, 'nine.csv');
    writeFileSync(nine, CSV.slice(0, 10).join('\n') + '\n');
    const r = await run(validateArgs('cleveland', nine, join(dir, 'nine')));
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'nine', 'report.json'), 'utf8')) as ValidationReport;
    const published = numbers({ overall: report.overall, subgroups: report.subgroups, data: report.data, quality: report.data_quality })
      .filter(([path, v]) => !/threshold|min_cell|missing_codes/.test(path) && v !== 0);
    expect(published).toEqual([]);
    // The full site report: no input row's values appear as a run of numbers, and no patient's own probability
    // appears (what a bin or a curve point would hold if it held one patient).
    const text = JSON.stringify(reports.cleveland);
    for (const line of CSV.slice(1, 304)) {
      const cells = line.split(',').slice(0, 13).filter((c) => c !== '').map((c) => String(Number(c)));
      expect(text).not.toContain(cells.join(','));
    }
  });
});

describe('subgroups by --group', () => {
  it('names no level of fewer than k patients of each class (a column could hold identifiers): those are pooled unnamed', async () => {
    const rows = CSV.slice(1).filter((l) => l.endsWith(',cleveland'));
    // A 'ward' column: ward-A holds 150 patients, and each of the rest has its own identifier-like ward.
    writeFileSync(join(dir, 'wards.csv'), [`${CSV[0]},ward`, ...rows.map((l, i) => `${l},${i < 150 ? 'ward-A' : `MRN-${100000 + i}`}`)].join('\n') + '\n');
    const r = await run([...validateArgs('cleveland', join(dir, 'wards.csv'), join(dir, 'wards')), '--group', 'ward']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'wards', 'report.json'), 'utf8')) as ValidationReport;
    const wards = report.subgroups.filter((s) => s.variable === 'ward');
    expect(wards.map((w) => [w.level, w.figures.n])).toEqual([['ward-A', 150], [SMALL_LEVELS, 153]]);
    expect(readFileSync(join(dir, 'wards', 'report.json'), 'utf8') + readFileSync(join(dir, 'wards', 'report.html'), 'utf8')).not.toMatch(/MRN-/);
  });
});

describe('clinfer validate verify', () => {
  it('accepts a report signed by the site key, refuses a changed figure and another key', async () => {
    const ok = await run(['verify', reportFile('cleveland'), '--key', keyFile('cleveland', 'pub')]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/^ok: .* signed by key [0-9a-f]{16}: site cleveland, heart-disease-risk version 1/);

    const tampered = JSON.parse(readFileSync(reportFile('va'), 'utf8'));
    tampered.overall.roc_auc.value = 0.9;
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
    const bad = await run(['verify', join(dir, 'tampered.json'), '--key', keyFile('va', 'pub')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/tampered\.json: the signature .* changed after it was signed/);

    const other = await run(['verify', reportFile('va'), '--key', keyFile('cleveland', 'pub')]);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/does not verify under any of the given keys/);
  });
});

describe('clinfer validate combine', () => {
  const keys = () => SITES.flatMap((s) => ['--key', keyFile(s, 'pub')]);

  it('pools the sites by DerSimonian-Laird on logit AUC, as the independent computation, and names the site below the declared performance', async () => {
    const r = await run(['combine', ...SITES.map(reportFile), ...keys(), '--out', join(dir, 'network')]);
    expect(r.code, r.err).toBe(0);
    const network = JSON.parse(readFileSync(join(dir, 'network', 'network.json'), 'utf8')) as NetworkReport;
    expect(network.pooled_roc_auc!.sites).toBe(expected.pooled.sites);
    expect(Math.abs(network.pooled_roc_auc!.value - expected.pooled.roc_auc)).toBeLessThan(1e-3);
    expect(Math.abs(network.pooled_roc_auc!.i2 - expected.pooled.i2)).toBeLessThan(1e-3);
    expect(Math.abs(network.pooled_roc_auc!.tau2 - expected.pooled.tau2)).toBeLessThan(1e-3);
    expect(network.outside_declared).toEqual(['va']);
    expect(network.sites.find((s) => s.site === 'switzerland')).toMatchObject({ pooled: false, not_pooled_because: expect.stringMatching(/fewer than 10/) });
    expect(readFileSync(join(dir, 'network', 'network.html'), 'utf8')).toMatch(/ROC AUC by site[\s\S]*Calibration slope by site/);
    // Signed by the network's key on request, and checked as a site report is.
    const signed = await run(['combine', ...SITES.map(reportFile), ...keys(), '--sign-key', keyFile('va', 'key'), '--out', join(dir, 'network-signed')]);
    expect(signed.code, signed.err).toBe(0);
    const verified = await run(['verify', join(dir, 'network-signed', 'network.json'), '--key', keyFile('va', 'pub')]);
    expect(verified.code, verified.err).toBe(0);
    expect(verified.out).toMatch(/network report, heart-disease-risk version 1/);
  });

  it('refuses a report of another bundle digest, even when properly signed', async () => {
    const other = JSON.parse(readFileSync(reportFile('hungarian'), 'utf8'));
    other.bundle.digest = 'f'.repeat(64);
    const resigned = signDocument(other, readFileSync(keyFile('hungarian', 'key'), 'utf8'));
    writeFileSync(join(dir, 'other-bundle.json'), JSON.stringify(resigned));
    const r = await run(['combine', reportFile('cleveland'), join(dir, 'other-bundle.json'), ...keys(), '--out', join(dir, 'refused')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/other-bundle\.json: validates bundle digest ffffffffffffffff… .* a network report combines one bundle/);
  });

  it('refuses the same data set twice (a site counted twice)', async () => {
    const r = await run(['combine', reportFile('cleveland'), reportFile('va'), reportFile('cleveland'), ...keys(), '--out', join(dir, 'refused')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cleveland\/report\.json: the same data set .* as .*cleveland\/report\.json/);
  });

  it('refuses a report with a bad signature or from a site whose key is not given', async () => {
    const tampered = await run(['combine', reportFile('cleveland'), join(dir, 'tampered.json'), ...keys(), '--out', join(dir, 'refused')]);
    expect(tampered.code).toBe(1);
    expect(tampered.err).toMatch(/tampered\.json: the signature/);
    const unknownSite = await run(['combine', reportFile('cleveland'), reportFile('va'), '--key', keyFile('cleveland', 'pub'), '--out', join(dir, 'refused')]);
    expect(unknownSite.code).toBe(1);
    expect(unknownSite.err).toMatch(/va\/report\.json: the signature .* does not verify under any of the given keys/);
  });
});

describe('data quality and wrong input', () => {
  it('without the site declaring chol = 0 as "not recorded", the zeros are out of range and those rows refused, as the server would', async () => {
    const args = validateArgs('va').filter((a) => a !== '--missing-code' && a !== 'chol=0' && a !== 'trestbps=0');
    args[args.indexOf('--out') + 1] = join(dir, 'va-raw');
    const r = await run(args);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'va-raw', 'report.json'), 'utf8')) as ValidationReport;
    expect(report.data_quality.find((q) => q.feature === 'chol')!.out_of_range).toBe(49);
    expect(report.data.refused_invalid).toBeGreaterThanOrEqual(49);
    expect(report.data.scored).toBe(200 - report.data.refused_invalid!);
  });

  it('reads JSON records with units, counting conversions; a progress bar goes to stderr', async () => {
    const rows = CSV.slice(1, 61).map((l) => l.split(','));
    const header = CSV[0]!.split(',');
    const records = rows.map((c) => ({
      ...Object.fromEntries(header.slice(0, 13).filter((f) => f !== 'chol').flatMap((f) => (c[header.indexOf(f)] === '' ? [] : [[f, Number(c[header.indexOf(f)])]]))),
      chol: { value: Number(c[4]) / 38.665, unit: 'mmol/L' },
      outcome: c[13] === '1',
    }));
    writeFileSync(join(dir, 'records.json'), JSON.stringify(records));
    const args = validateArgs('cleveland', join(dir, 'records.json'), join(dir, 'records'));
    args[args.indexOf('--label') + 1] = 'outcome';
    const r = await run(args);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'records', 'report.json'), 'utf8')) as ValidationReport;
    expect(report.data_quality.find((q) => q.feature === 'chol')!.units_converted).toBe(60);
    expect(report.data.scored).toBe(60);
    expect(r.progress.at(-1)).toMatch(/\[#+\] 60\/60 rows/);
  });

  it('refuses loudly: no key, an unknown label column, an outcome that is not 0/1', async () => {
    const noKey = validateArgs('cleveland').slice(0, -4).concat(['--out', join(dir, 'x')]);
    expect((await run(noKey)).code).toBe(2);
    const badLabel = validateArgs('cleveland');
    badLabel[badLabel.indexOf('--label') + 1] = 'diagnosis';
    const r = await run(badLabel);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--label diagnosis: no such column .*columns: age, sex/);
    writeFileSync(join(dir, 'bad-outcome.csv'), `${CSV[0]}\n${CSV[1]!.replace(/,0,cleveland$/, ',2,cleveland')}\n`);
    const bad = await run(validateArgs('cleveland', join(dir, 'bad-outcome.csv'), join(dir, 'x')));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--label target: row 1 has '2'; the outcome must be 0 or 1/);
  });
});
