/**
 * The models the bench serves and the requests it sends them. Each is copied into a temporary model
 * repository (repository.ts): a demo bundle folder as it is, a third-party model as a bare
 * <name>/1/model.onnx (or model.ort), so clinfer serves it with autofilled metadata.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResponseCheck } from '../protocol.js';
import { ROOT } from './paths.js';

export interface TensorModel {
  /** Name served by clinfer (folder in the temporary repository). */
  readonly name: string;
  readonly label: string;
  /** Copied into the repository as <name>/: a bundle folder, or a bare model file as <name>/1/model.<ext>. */
  readonly source: { dir: string } | { file: string };
  readonly modelPath: string;
  readonly input: string;
  readonly output: string;
  /** One item's dimensions, without the batch dimension. */
  readonly itemDims: readonly number[];
  readonly outputPerItem: number;
  readonly sample: Float32Array;
  /** Batch sizes tried for the in-process limit. */
  readonly batches: readonly number[];
}

const pixels = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 255) / 255 - 0.5);

export const XRAY: TensorModel = {
  name: 'chest-xray-pneumonia', label: 'chest X-ray CNN (demo)',
  source: { dir: join(ROOT, 'models/chest-xray-pneumonia') },
  modelPath: join(ROOT, 'models/chest-xray-pneumonia/1/model.onnx'),
  input: 'image', output: 'logits', itemDims: [1, 28, 28], outputPerItem: 2, sample: pixels(28 * 28),
  batches: [1, 4, 8, 16, 32],
};

export const PPOCR: TensorModel = {
  name: 'ppocr', label: 'PaddleOCR text-direction classifier',
  source: { file: join(ROOT, 'test/fixtures/third-party/ppocr_cls/model.onnx') },
  modelPath: join(ROOT, 'test/fixtures/third-party/ppocr_cls/model.onnx'),
  input: 'x', output: 'softmax_0.tmp_0', itemDims: [3, 48, 192], outputPerItem: 2, sample: pixels(3 * 48 * 192),
  batches: [1, 4, 8, 16, 32],
};

/**
 * microsoft/onnxjs's MNIST classifier (ORT format, MIT; test/fixtures/third-party/mnist with its licence):
 * the tiny model of issue 16, where per-request overhead is everything. Its batch dimension is fixed at 1.
 */
export const MNIST: TensorModel = {
  name: 'mnist', label: 'MNIST classifier (onnxjs, ORT format; batch fixed at 1)',
  source: { file: join(ROOT, 'test/fixtures/third-party/mnist/model.ort') },
  modelPath: join(ROOT, 'test/fixtures/third-party/mnist/model.ort'),
  input: 'Input3', output: 'Plus214_Output_0', itemDims: [1, 28, 28], outputPerItem: 10, sample: pixels(28 * 28),
  batches: [1],
};

export const HEART_RECORD = { age: 63, sex: 1, cp: 1, trestbps: 145, chol: 233, fbs: 1, restecg: 2, thalach: 150, exang: 0, oldpeak: 2.3, slope: 3, ca: 0, thal: 6 };

export const HEART: TensorModel = {
  name: 'heart-disease-risk', label: 'heart disease logistic regression (demo, tabular)',
  source: { dir: join(ROOT, 'models/heart-disease-risk') },
  modelPath: join(ROOT, 'models/heart-disease-risk/1/model.onnx'),
  input: 'features', output: 'probability', itemDims: [13], outputPerItem: 1,
  sample: Float32Array.from(Object.values(HEART_RECORD)),
  batches: [1, 32],
};

export const IMAGE_MODELS: readonly TensorModel[] = [XRAY, PPOCR];
export const ALL_MODELS: readonly TensorModel[] = [XRAY, PPOCR, HEART, MNIST];

export interface Payload {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly check: ResponseCheck;
  /** Items (images, records) per request. */
  readonly items: number;
}

/** OIP v2 JSON, flat data (as most clients send it); the naive server receives the same bytes. */
export function jsonPayload(m: TensorModel): Payload {
  const body = { inputs: [{ name: m.input, shape: [1, ...m.itemDims], datatype: 'FP32', data: Array.from(m.sample) }] };
  return {
    path: `/v2/models/${m.name}/infer`, headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(body)), check: { format: 'json', output: m.output, elements: m.outputPerItem }, items: 1,
  };
}

/** The same request with the binary tensor data extension, asking for a binary output too. */
export function binaryPayload(m: TensorModel): Payload {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: m.input, shape: [1, ...m.itemDims], datatype: 'FP32', parameters: { binary_data_size: m.sample.byteLength } }],
    outputs: [{ name: m.output, parameters: { binary_data: true } }],
  }));
  return {
    path: `/v2/models/${m.name}/infer`,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
    body: Buffer.concat([header, Buffer.from(m.sample.buffer, m.sample.byteOffset, m.sample.byteLength)]),
    check: { format: 'binary', output: m.output, elements: m.outputPerItem }, items: 1,
  };
}

/** {"records": [...]} with n plausible patients (every value inside the bundle's ranges). */
export function recordsPayload(n: number): Payload {
  const records = Array.from({ length: n }, (_, i) => ({
    ...HEART_RECORD,
    age: 40 + (i * 7) % 35, sex: i % 3 === 0 ? 0 : 1, cp: 1 + (i % 4), trestbps: 110 + (i * 7) % 60, chol: 180 + (i * 13) % 120,
    thalach: 100 + (i * 11) % 90, oldpeak: ((i * 3) % 40) / 10, slope: 1 + (i % 3),
  }));
  return {
    path: '/v1/models/heart-disease-risk/predict', headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ records })), check: { format: 'predict', predictions: n }, items: n,
  };
}

interface FhirEntry { resource: { resourceType: string; id?: string; subject?: { reference?: string } } }

/** One FHIR Bundle: patient `a` of test/fixtures/fhir/two-patients.json with all of its Observations. */
export function fhirPayload(): Payload & { observations: number } {
  const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/fhir/two-patients.json'), 'utf8')) as { entry: FhirEntry[] };
  const entry = fixture.entry.filter((e) => (e.resource.resourceType === 'Patient' && e.resource.id === 'a') || e.resource.subject?.reference === 'Patient/a');
  return {
    path: '/v1/models/heart-disease-risk/predict?reference_time=2026-11-15T00:00:00Z', headers: { 'content-type': 'application/fhir+json' },
    body: Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry })), check: { format: 'fhir', riskAssessments: 1 }, items: 1,
    observations: entry.filter((e) => e.resource.resourceType === 'Observation').length,
  };
}
