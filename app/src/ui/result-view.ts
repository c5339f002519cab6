import type { ImagePrediction, ImageSegmentation, ScopeNote } from '../../../adapters/imaging/image-prediction.js';
import type { PredictOutcome } from '../inference/predict.js';
import { bundleText, regulatoryStatus } from './bundle-texts.js';
import { h } from './dom.js';
import { inputSummary, resultReport } from './report.js';
import { scopeList } from './scope-text.js';
import { paintMask, tensorImage } from './tensor-image.js';
import type { FeatureWords, ViewContext } from './view-context.js';

interface TabularPredictionJson {
  probability?: number;
  value?: number;
  label?: { id: string; text: string };
  contributions?: { feature: string; value: number; imputed: boolean; contribution: number }[];
  imputed: string[];
}

/**
 * The answer: a heading (focused after each prediction), the model's view of the image with a text
 * alternative, the top class and every class's score, scope warnings; for records the probability and
 * why; then the regulatory status, the "not a diagnosis" statement, the one-page report, print and export.
 */
export function resultView(outcome: PredictOutcome, ctx: ViewContext, words: FeatureWords): HTMLElement {
  const { t, fmt } = ctx;
  const { response, tensor, timings } = outcome;
  const predictions = response.predictions as (ImagePrediction | ImageSegmentation)[];
  const summary = headline(outcome, ctx);
  const view = tensor ? tensorImage(tensor.tensor, tensor.spec) : undefined;
  const firstMask = predictions.find((p): p is ImageSegmentation => 'mask' in p);
  if (view && firstMask) paintMask(view, firstMask.mask);
  if (view && tensor) {
    view.setAttribute('role', 'img');
    view.setAttribute('aria-label', t.canvasAlt(tensor.spec.width, tensor.spec.height, t.colors[tensor.spec.color] ?? tensor.spec.color, t.resultIs(summary)));
  }
  const warned = (response as { out_of_scope?: ScopeNote[] }).out_of_scope;
  const body = tensor && view
    ? [
        warned?.length ? h('div', { class: 'scope-warning', id: 'scope-warning' }, h('p', {}, h('strong', {}, t.outOfScopeWarning)), scopeList(outcome.model.bundle.input_scope, outcome.info, outcome.scope?.outOfScope ?? [], ctx)) : '',
        h('figure', {}, view, h('figcaption', {}, `${t.modelSees} (${tensor.spec.width}×${tensor.spec.height}, ${t.colors[tensor.spec.color] ?? tensor.spec.color})`)),
        ...predictions.map((p) => ('mask' in p ? segmentation(p, ctx) : imagePrediction(p, ctx))),
      ]
    : (response.predictions as unknown as TabularPredictionJson[]).map((p) => tabularPrediction(p, ctx, words));
  const print = h('button', { type: 'button', id: 'print-button' }, t.printReport);
  print.addEventListener('click', () => window.print());
  const exportButton = h('button', { type: 'button', id: 'export-button' }, t.exportJson);
  exportButton.addEventListener('click', () => exportJson(outcome, ctx, words));
  return h('section', { class: 'result', id: 'result', 'aria-labelledby': 'result-heading' },
    h('h2', { id: 'result-heading', tabindex: '-1' }, t.result),
    body,
    h('p', { class: 'regulatory', id: 'result-regulatory' }, regulatoryStatus(outcome.model.bundle, t, ctx.language)),
    h('p', { class: 'not-diagnosis', id: 'not-diagnosis' }, t.notADiagnosis),
    h('p', { class: 'actions no-print' }, print, ' ', exportButton),
    resultReport(outcome, ctx, words, summary),
    h('p', { class: 'timings no-print', id: 'timings' }, t.timings(timings.decodeMs, timings.inferenceMs, timings.totalMs).replace(/\d+\.\d+|\d+/g, (n) => fmt.number(Number(n), n.includes('.') ? 1 : 0))),
    h('details', { class: 'no-print' }, h('summary', {}, t.rawAnswer), h('pre', { id: 'result-json' }, JSON.stringify(response, null, 2))));
}

/** The result in one line, as announced and as the canvas's text alternative: "Pneumonia 84.7 %". */
export function headline(outcome: PredictOutcome, ctx: ViewContext): string {
  const first = outcome.response.predictions[0] as Partial<ImagePrediction & ImageSegmentation & TabularPredictionJson> | undefined;
  if (!first) return '';
  if (first.segments) {
    const found = first.segments.slice(1);
    const largest = found.reduce((a, b) => (b.fraction > a.fraction ? b : a), found[0] ?? first.segments[0]!);
    return `${largest.text} ${ctx.fmt.percent(largest.fraction)}`;
  }
  if (first.scores && first.score !== undefined && first.label) return `${first.label.text} ${ctx.fmt.percent(first.score)}`;
  const probability = first.probability ?? first.value;
  return [first.label?.text, probability !== undefined ? `${ctx.t.probability} ${ctx.fmt.percent(probability)}` : ''].filter(Boolean).join(' ');
}

function imagePrediction(p: ImagePrediction, ctx: ViewContext): HTMLElement {
  const { t, fmt } = ctx;
  const frame = p.source.frame ? ` (${t.frame} ${p.source.frame})` : '';
  return h('div', { class: 'prediction' },
    h('p', { class: 'label', id: 'result-label' }, h('strong', {}, p.label.text), ` ${fmt.percent(p.score)}${frame}`),
    h('h3', {}, t.scores),
    h('ul', { class: 'scores' }, p.scores.map((s) => scoreRow(s.id, s.text, s.score, ctx))));
}

function scoreRow(id: string, text: string, share: number, ctx: ViewContext): HTMLElement {
  const bar = h('span', { class: 'bar' });
  bar.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  return h('li', { 'data-class': id }, h('span', { class: 'class' }, text), h('span', { class: 'track', 'aria-hidden': 'true' }, bar), h('span', { class: 'score' }, ctx.fmt.percent(share)));
}

/** A segmentation: each class and the share of the image it covers (the mask is painted over the view). */
function segmentation(p: ImageSegmentation, ctx: ViewContext): HTMLElement {
  const frame = p.source.frame ? ` (${ctx.t.frame} ${p.source.frame})` : '';
  const found = p.segments.slice(1);
  const largest = found.reduce((a, b) => (b.fraction > a.fraction ? b : a), found[0] ?? p.segments[0]!);
  return h('div', { class: 'prediction segmentation' },
    h('p', { class: 'label', id: 'result-label' }, h('strong', {}, largest.text), ` ${ctx.fmt.percent(largest.fraction)}${frame}`),
    h('ul', { class: 'scores' }, p.segments.map((s) => scoreRow(s.id, s.text, s.fraction, ctx))));
}

function tabularPrediction(p: TabularPredictionJson, ctx: ViewContext, words: FeatureWords): HTMLElement {
  const { t, fmt } = ctx;
  const probability = p.probability ?? p.value;
  return h('div', { class: 'prediction' },
    h('p', { class: 'label', id: 'result-label' }, p.label ? h('strong', {}, p.label.text) : '', probability !== undefined ? ` ${t.probability} ${fmt.percent(probability)}` : ''),
    p.contributions ? [h('h3', {}, t.contributions), h('table', { class: 'contributions' }, h('tbody', {}, p.contributions.map((c) => h('tr', {},
      h('th', { scope: 'row' }, words.name(c.feature)), h('td', {}, `${words.value(c.feature, c.value)}${c.imputed ? ' *' : ''}`), h('td', {}, fmt.signed(c.contribution, 3))))))] : [],
    p.imputed.length ? h('p', { class: 'imputed' }, `* ${t.imputed}: ${p.imputed.map((n) => words.name(n)).join(', ')}`) : '');
}

/** The result as a JSON file (the report's fields and the answer), made here and saved by the browser. */
function exportJson(outcome: PredictOutcome, ctx: ViewContext, words: FeatureWords): void {
  const { bundle } = outcome.model;
  const document_ = {
    clinfer_result: 1,
    created: new Date().toISOString(),
    language: ctx.language,
    model: { name: outcome.model.name, version: outcome.model.version, digest: outcome.model.digest },
    input: inputSummary(outcome, ctx, words),
    intended_use: bundleText(bundle, 'intended_use', ctx.language) ?? null,
    regulatory_status: regulatoryStatus(bundle, ctx.t, ctx.language),
    statement: ctx.t.notADiagnosis,
    response: outcome.response,
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(document_, null, 2)], { type: 'application/json' }));
  const link = h('a', { href: url, download: `clinfer-${outcome.model.name}-v${outcome.model.version}-${document_.created.slice(0, 19).replace(/:/g, '')}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
