import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { bundleCommand } from '../../runtime/cli/bundle-command.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClinferServer } from '../../runtime/server.js';
import { binaryBody } from '../helpers/binary.js';
import { FIXTURES, postJson, startTestServer, TempRepository } from '../helpers/server.js';

/**
 * Third-party scikit-learn classifiers (test/fixtures/generated/make_sklearn_classifiers.py: Imputer, Scaler,
 * LinearClassifier, `label` INT64 + `probabilities` FP32 [N,2], and the ZipMap variant) served through a
 * bundle: /v1 records give the class /v2 infer gives, or the bundle is refused at load with what to add.
 */
const GENERATED = join(FIXTURES, 'generated');
const params = JSON.parse(readFileSync(join(GENERATED, 'sklearn_logreg_heart.json'), 'utf8'));
const FEATURES: string[] = params.features;
const file = (name: string) => ({ bytes: readFileSync(join(GENERATED, name)) });
const plain = file('sklearn_logreg_heart.onnx');
const zipmap = file('sklearn_logreg_heart_zipmap.onnx');
const linear = { intercept: params.intercept, coefficients: params.coefficients, means: params.means, scales: params.scales, medians: params.medians };

function bundle(name: string, model: { bytes: Buffer }, post: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    schema_version: 1, name, version: '1', task: 'classification',
    model: { file: 'model.onnx', sha256: createHash('sha256').update(model.bytes).digest('hex') },
    max_batch_size: name === 'sk-batch-1' ? 0 : 256,
    labels: [{ id: 'no_disease' }, { id: 'disease', text: { en: 'Heart disease' } }],
    preprocessing: { kind: 'tabular', input: 'float_input', features: FEATURES.map((f) => ({ name: f, type: 'number', missing: 'impute_in_graph' })) },
    postprocessing: post,
    ...extra,
  };
}
const repo = new TempRepository();
const add = (name: string, model: { bytes: Buffer }, post: Record<string, unknown>) => repo.add(name, '1', { 'bundle.json': JSON.stringify(bundle(name, model, post)), 'model.onnx': model.bytes });
add('sk-heart', plain, { kind: 'probability', output: 'probabilities', positive_class: 1, linear_model: linear });
add('sk-heart-zipmap', zipmap, { kind: 'probability', output: 'output_probability', positive_label: 'disease', linear_model: linear });
// Exported with a fixed batch of 1: the probe rows go one per request.
add('sk-batch-1', file('sklearn_logreg_heart_batch1.onnx'), { kind: 'probability', output: 'probabilities', positive_class: 1, linear_model: linear });
add('sk-undeclared', plain, { kind: 'probability', output: 'probabilities' });
add('sk-sigmoid-undeclared', plain, { kind: 'sigmoid_probability', output: 'probabilities' });
add('sk-softmax', plain, { kind: 'softmax', output: 'probabilities', positive_class: 1 });
add('sk-label', plain, { kind: 'probability', output: 'label', positive_class: 1 });
add('sk-missing', plain, { kind: 'probability', output: 'proba', positive_class: 1 });
add('sk-bad-label', plain, { kind: 'probability', output: 'probabilities', positive_label: 'sick' });
add('sk-wrong-coef', plain, { kind: 'probability', output: 'probabilities', positive_class: 1, linear_model: { ...linear, coefficients: { ...linear.coefficients, chol: 11 } } });
add('sk-wrong-medians', plain, { kind: 'probability', output: 'probabilities', positive_class: 1, linear_model: { ...linear, medians: { ...linear.medians, chol: 400 } } });
add('sk-wrong-intercept', plain, { kind: 'probability', output: 'probabilities', positive_class: 1, linear_model: { ...linear, intercept: linear.intercept + 1 } });

// The held-out rows of the generator (row index % 5 == 0), NaN for missing (chol/trestbps 0 = not measured).
const rows = readFileSync(join(FIXTURES, 'uci-heart/uci_heart_disease_4sites_920rows.csv'), 'utf8').trim().split('\n').slice(1)
  .map((line) => line.split(','))
  .filter((_, i) => i % 5 === 0)
  .map((cells) => ({
    x: FEATURES.map((f, j) => (cells[j]!.trim() === '' || ((f === 'chol' || f === 'trestbps') && Number(cells[j]) === 0) ? Number.NaN : Number(cells[j]))),
    y: Number(cells[13]),
  }));

let server: ClinferServer;
beforeAll(async () => {
  server = await startTestServer(repo.root);
});
afterAll(async () => {
  await server?.close();
  repo.remove();
});

const index = async () => (await postJson(`${server.url}/v2/repository/index`, {})).json as { name: string; state: string; reason: string }[];

async function throughV1(model: string) {
  const records = rows.map((r) => Object.fromEntries(FEATURES.flatMap((f, j) => (Number.isNaN(r.x[j]!) ? [] : [[f, r.x[j]]]))));
  const res = await postJson(`${server.url}/v1/models/${model}/predict`, { records });
  expect(res.status).toBe(200);
  return res.json.predictions as { probability: number; label: { id: string }; contributions: { feature: string; contribution: number }[] }[];
}

describe('a scikit-learn classifier with two-column probabilities', () => {
  it('gives through /v1 the class /v2 infer gives, on 184 held-out UCI rows (accuracy as fitted: 82.6%)', async () => {
    const v1 = await throughV1('sk-heart');
    // NaN (missing) cannot be written in JSON: the tensor goes in binary (the OIP binary data extension).
    const x = new Float32Array(rows.flatMap((r) => r.x));
    const { body, headerLength } = binaryBody({ inputs: [{ name: 'float_input', shape: [rows.length, 13], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }] }, x);
    const res = await fetch(`${server.url}/v2/models/sk-heart/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) }, body });
    const infer = { json: (await res.json()) as any };
    expect(infer.json.error).toBeUndefined();
    const labels = infer.json.outputs.find((o: any) => o.name === 'label').data as number[];
    const probabilities = infer.json.outputs.find((o: any) => o.name === 'probabilities').data as number[];
    v1.forEach((p, i) => {
      expect(p.label.id).toBe(labels[i] === 1 ? 'disease' : 'no_disease');
      expect(p.probability).toBeCloseTo(probabilities[2 * i + 1]!, 6);
    });
    const correct = (predicted: (i: number) => number) => rows.filter((r, i) => predicted(i) === r.y).length / rows.length;
    expect(correct((i) => labels[i]!)).toBeCloseTo(params.held_out.accuracy, 6);
    expect(correct((i) => (v1[i]!.label.id === 'disease' ? 1 : 0))).toBeCloseTo(0.8261, 4);
  });

  it('checks the linear model of a graph with a fixed batch of 1 (probe rows one at a time)', async () => {
    expect((await index()).find((e) => e.name === 'sk-batch-1')).toMatchObject({ state: 'READY' });
  });

  it('serves the ZipMap variant unmodified: the ZipMap output is its probabilities tensor, same answers', async () => {
    const [a, b] = await Promise.all([throughV1('sk-heart'), throughV1('sk-heart-zipmap')]);
    expect(b.map((p) => p.probability)).toEqual(a.map((p) => p.probability));
    const meta = (await (await fetch(`${server.url}/v2/models/sk-heart-zipmap`)).json()) as any;
    expect(meta.outputs).toContainEqual({ name: 'output_probability', datatype: 'FP32', shape: [-1, 2] });
    expect(meta.unsupported_outputs ?? []).toEqual([]);
  });
});

describe('refused at load, with what to add', () => {
  it.each([
    ['sk-undeclared', /postprocessing\.positive_class'?: 'probabilities' has 2 columns of class probabilities; say which one is the outcome .*"positive_class": <column index, e.g\. 1> or "positive_label": "disease"/],
    ['sk-sigmoid-undeclared', /'probabilities' has 2 columns .*positive_class/],
    ['sk-softmax', /postprocessing\.input'?: softmax turns logits into probabilities; declare "input": "logits".*or use "kind": "probability"/],
    ['sk-label', /postprocessing\.output'?: 'label' is INT64 \(a class label, not a score\)/],
    ['sk-missing', /postprocessing\.output'?: 'proba' is not an output of the graph; the tensor outputs are 'label' INT64 \[-1\], 'probabilities' FP32 \[-1,2\]/],
    ['sk-bad-label', /postprocessing\.positive_label'?: 'sick' is not a label id \(labels: no_disease, disease\)/],
    ['sk-wrong-coef', /postprocessing\.linear_model'?: coefficients\.chol disagrees with the graph: one standard deviation of chol is \+11\.000 log-odds by the linear model, \+0\.\d+ in the graph/],
    ['sk-wrong-intercept', /postprocessing\.linear_model'?: at the training means the graph gives/],
    ['sk-wrong-medians', /postprocessing\.linear_model'?: medians disagree with the graph's imputation/],
  ])('%s is UNAVAILABLE, and a load answers 400 BUNDLE_INVALID', async (name, reason) => {
    const entry = (await index()).find((e) => e.name === name)!;
    expect(entry.state).toBe('UNAVAILABLE');
    expect(entry.reason).toMatch(reason);
    const load = await postJson(`${server.url}/v2/repository/models/${name}/load`, {});
    expect(load.status).toBe(400);
    expect(load.json.code).toBe('BUNDLE_INVALID');
    expect(load.json.error).toMatch(reason);
  });
});

describe('deploy', () => {
  it('answers 400 BUNDLE_INVALID to a deployed classifier that does not name its positive class, and keeps nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinfer-sk-'));
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle('sk-deployed', plain, { kind: 'probability', output: 'probabilities' })));
    writeFileSync(join(dir, 'model.onnx'), plain.bytes);
    const out = join(dir, '..', `${randomUUID()}.tar.gz`);
    expect(await bundleCommand(['pack', dir, '--out', out], { log: () => undefined, err: () => undefined })).toBe(0);
    const res = await fetch(`${server.url}/v2/repository/models/sk-deployed/versions/1`, { method: 'PUT', body: readFileSync(out), headers: { 'content-type': 'application/gzip' } });
    const json = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(json.code).toBe('BUNDLE_INVALID');
    expect(json.error).toMatch(/positive_class/);
    expect((await index()).some((e) => e.name === 'sk-deployed' && e.state === 'READY')).toBe(false);
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { force: true });
  });
});

describe('bundle init', () => {
  it('lists a ZipMap output as the tensor the server will serve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinfer-sk-init-'));
    expect(await bundleCommand(['init', join(GENERATED, 'sklearn_logreg_heart_zipmap.onnx'), '--name', 'sk', '--out', dir], { log: () => undefined, err: () => undefined })).toBe(0);
    const written = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
    expect(written.outputs).toContainEqual({ name: 'output_probability', datatype: 'FP32', shape: [-1, 2] });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('bundle validate', () => {
  it('checks linear_model against the graph as the server does', async () => {
    const check = async (post: Record<string, unknown>) => {
      const dir = mkdtempSync(join(tmpdir(), 'clinfer-sk-validate-'));
      writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle('sk', plain, post)));
      writeFileSync(join(dir, 'model.onnx'), plain.bytes);
      const err: string[] = [];
      const code = await bundleCommand(['validate', dir], { log: () => undefined, err: (l) => err.push(l) });
      rmSync(dir, { recursive: true, force: true });
      return { code, err: err.join('\n') };
    };
    expect((await check({ kind: 'probability', output: 'probabilities', positive_class: 1, linear_model: linear })).code).toBe(0);
    const wrong = await check({ kind: 'probability', output: 'probabilities', positive_class: 1, linear_model: { ...linear, coefficients: { ...linear.coefficients, chol: 11 } } });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/coefficients\.chol disagrees with the graph/);
  });
});

