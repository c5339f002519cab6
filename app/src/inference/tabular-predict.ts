import type { Language } from '../../../adapters/tabular/language.js';
import { RecordsError, recordsToRows } from '../../../adapters/tabular/records.js';
import type { TabularSpec } from '../../../adapters/tabular/tabular-spec.js';
import type { LoadedModel } from '../bundle/loaded-model.js';
import { AppError } from '../errors.js';
import { describeShortfall, shortfall } from '../../../adapters/tabular/least-observed.js';
import { runFloat } from './ort-runtime.js';
import { readTabularOutputs } from '../../../adapters/tabular/read-outputs.js';
import { parseTabularPostprocessing } from '../../../adapters/tabular/postprocessing.js';

/** The JSON of POST /v1/models/{m}/predict for records (runtime/http/routes/predict.ts), field for field. */
export interface TabularPredictResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly model_digest: string;
  readonly language: string;
  readonly predictions: Record<string, unknown>[];
  readonly contributions_method?: string;
}

export interface TabularRun {
  readonly response: TabularPredictResponse;
  readonly inferenceMs: number;
}

/** `{"records": [...]}` (or one record object) through the model, answered as the server answers. */
export async function predictRecords(model: LoadedModel & { kind: { type: 'tabular'; spec: TabularSpec } }, body: unknown, language: Language): Promise<TabularRun> {
  const spec = model.kind.spec;
  const request = isRecordsBody(body) ? body : { records: [body] };
  let rows;
  try {
    rows = recordsToRows(spec, request);
  } catch (error) {
    if (error instanceof RecordsError) throw new AppError('INVALID_INPUT', error.message);
    throw error;
  }
  // As the server: rows below the bundle's least observed data are refused, before the model runs.
  const short = rows.map((r, i) => ({ i, s: shortfall(spec, r.imputed) })).filter((x) => x.s);
  if (short.length) {
    throw new AppError('INSUFFICIENT_DATA', short.map(({ i, s }) => `records[${i}]: too little observed data: ${describeShortfall(spec, s!)}`).join('; '));
  }
  const columns = spec.features.length;
  const data = new Float32Array(rows.length * columns);
  rows.forEach((r, i) => data.set(r.values, i * columns));
  const started = performance.now();
  const outputs = await runFloat(model.runtime, model.session, spec.input, data, [rows.length, columns], model.output);
  const inferenceMs = performance.now() - started;
  const labels = model.bundle.labels ?? [];
  // The server checks the postprocessing against the graph at load; here against the output as it came.
  let post;
  try {
    post = parseTabularPostprocessing(model.bundle.postprocessing, labels, model.bundle.task ?? 'other', [{ name: model.output, datatype: 'FP32', shape: [rows.length, outputs.length / rows.length] }]);
  } catch (error) {
    throw new AppError('UNSUPPORTED_MODEL', `model '${model.name}': ${(error as Error).message}`);
  }
  const predictions = readTabularOutputs(spec, post, labels, rows, outputs, language);
  const response: TabularPredictResponse = {
    model_name: model.name,
    model_version: model.version,
    model_digest: model.digest,
    language,
    predictions: predictions.map((p, i) => ({
      ...(model.bundle.task === 'classification' ? { probability: p.value } : { value: p.value }),
      ...(p.scores ? { scores: p.scores } : {}),
      ...(p.label ? { label: p.label } : {}),
      ...(p.contributions ? { contributions: p.contributions.map((c) => ({ ...c, value: round(c.value), contribution: round(c.contribution) })) } : {}),
      imputed: spec.features.filter((_, k) => rows[i]!.imputed[k]).map((f) => f.name),
    })),
    ...(predictions.some((p) => p.contributions) ? { contributions_method: 'exact: coefficient x standardised value, in log-odds, relative to the training mean' } : {}),
  };
  return { response, inferenceMs };
}

function isRecordsBody(body: unknown): body is { records: unknown[] } {
  return typeof body === 'object' && body !== null && Array.isArray((body as { records?: unknown }).records);
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;
