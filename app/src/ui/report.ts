import { isBlob, type PredictOutcome } from '../inference/predict.js';
import { bundleText, regulatoryStatus } from './bundle-texts.js';
import { h } from './dom.js';
import type { FeatureWords, ViewContext } from './view-context.js';

/** What was given, in one line: the file (name, size, modality, study date) or the values recorded. */
export function inputSummary(outcome: PredictOutcome, ctx: ViewContext, words: FeatureWords): string {
  const { t, fmt } = ctx;
  const input = outcome.input;
  if (outcome.model.kind.type === 'tabular') {
    const record = (input as { records?: unknown[] }).records?.[0] ?? input;
    const entries = Object.entries(record as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
    const given = t.valuesInput(entries.length, outcome.model.kind.spec.features.length);
    return entries.length ? `${given}: ${entries.map(([k, v]) => `${words.name(k)} ${words.value(k, v)}`).join('; ')}` : given;
  }
  const name = isBlob(input) && typeof (input as Partial<File>).name === 'string' ? (input as File).name : '—';
  const size = isBlob(input) ? input.size : (input as ArrayBuffer).byteLength ?? 0;
  const header = outcome.info ? [outcome.info.modality, outcome.info.bodyPartExamined, fmt.dicomDate(outcome.info.study.date)].filter(Boolean).join(', ') : '';
  return `${t.fileInput(name, fmt.bytes(size))}${header ? `; ${header}` : ''}`;
}

/**
 * The one-page report (printed alone by the print stylesheet): model, version, digest, input, result,
 * intended use, regulatory status, date, and the statement that it is not a diagnosis.
 */
export function resultReport(outcome: PredictOutcome, ctx: ViewContext, words: FeatureWords, summary: string): HTMLElement {
  const { t, fmt } = ctx;
  const { model } = outcome;
  const row = (label: string, value: string | undefined, id: string, asIs = false) => (value ? [h('dt', {}, label), h('dd', { id: `report-${id}`, ...(asIs ? { translate: 'no' } : {}) }, value)] : []);
  return h('section', { class: 'report', id: 'report', 'aria-labelledby': 'report-heading' },
    h('h3', { id: 'report-heading' }, t.report),
    h('dl', {},
      row(t.reportModel, model.name, 'model', true),
      row(t.version, model.version, 'version'),
      row(t.digest, model.digest, 'digest', true),
      row(t.input, inputSummary(outcome, ctx, words), 'input'),
      row(t.result, summary, 'score'),
      row(t.intendedUse, bundleText(model.bundle, 'intended_use', ctx.language), 'intended-use'),
      row(t.regulatory, regulatoryStatus(model.bundle, t, ctx.language), 'regulatory'),
      row(t.date, fmt.dateTime(new Date()), 'date')),
    h('p', { class: 'not-diagnosis' }, t.notADiagnosis));
}
