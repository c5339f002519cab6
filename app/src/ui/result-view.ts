import type { ImagePrediction, ImageSegmentation } from '../../../adapters/imaging/image-prediction.js';
import type { PredictOutcome } from '../inference/predict.js';
import { h, percent } from './dom.js';
import type { Texts } from './i18n.js';
import { regulatoryStatus } from './model-card.js';
import { paintMask, tensorImage } from './tensor-image.js';

interface TabularPredictionJson {
  probability?: number;
  value?: number;
  label?: { id: string; text: string };
  contributions?: { feature: string; value: number; imputed: boolean; contribution: number }[];
  imputed: string[];
}

/** The answer: the model's view of the image, the top class and every class's score; for records the probability and why. */
export function resultView(outcome: PredictOutcome, t: Texts, featureLabel: (name: string) => string = (n) => n): HTMLElement {
  const { response, tensor, timings } = outcome;
  const predictions = response.predictions as (ImagePrediction | ImageSegmentation)[];
  const view = tensor ? tensorImage(tensor.tensor, tensor.spec) : undefined;
  const firstMask = predictions.find((p): p is ImageSegmentation => 'mask' in p);
  if (view && firstMask) paintMask(view, firstMask.mask);
  const body = tensor && view
    ? [
        h('figure', {}, view, h('figcaption', {}, `${t.modelSees} (${tensor.spec.width}×${tensor.spec.height}, ${tensor.spec.color})`)),
        ...predictions.map((p) => ('mask' in p ? segmentation(p) : imagePrediction(p, t))),
      ]
    : (response.predictions as unknown as TabularPredictionJson[]).map((p) => tabularPrediction(p, t, featureLabel));
  return h('section', { class: 'result', id: 'result', 'aria-live': 'polite' },
    h('h2', {}, t.result),
    body,
    h('p', { class: 'regulatory', id: 'result-regulatory' }, regulatoryStatus(outcome.model.bundle, t)),
    h('p', { class: 'timings', id: 'timings' }, t.timings(timings.decodeMs, timings.inferenceMs, timings.totalMs)),
    h('details', {}, h('summary', {}, t.rawAnswer), h('pre', { id: 'result-json' }, JSON.stringify(response, null, 2))));
}

function imagePrediction(p: ImagePrediction, t: Texts): HTMLElement {
  const frame = p.source.frame ? ` (frame ${p.source.frame})` : '';
  return h('div', { class: 'prediction' },
    h('p', { class: 'label', id: 'result-label' }, h('strong', {}, p.label.text), ` ${percent(p.score)}${frame}`),
    h('h3', {}, t.scores),
    h('ul', { class: 'scores' }, p.scores.map((s) => {
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${Math.max(0, Math.min(1, s.score)) * 100}%`;
      return h('li', { 'data-class': s.id }, h('span', { class: 'class' }, s.text), h('span', { class: 'track' }, bar), h('span', { class: 'score' }, percent(s.score)));
    })));
}

/** A segmentation: each class and the share of the image it covers (the mask is painted over the view). */
function segmentation(p: ImageSegmentation): HTMLElement {
  const frame = p.source.frame ? ` (frame ${p.source.frame})` : '';
  const found = p.segments.slice(1);
  const largest = found.reduce((a, b) => (b.fraction > a.fraction ? b : a), found[0] ?? p.segments[0]!);
  return h('div', { class: 'prediction segmentation' },
    h('p', { class: 'label', id: 'result-label' }, h('strong', {}, largest.text), ` ${percent(largest.fraction)}${frame}`),
    h('ul', { class: 'scores' }, p.segments.map((s) => {
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${Math.max(0, Math.min(1, s.fraction)) * 100}%`;
      return h('li', { 'data-class': s.id }, h('span', { class: 'class' }, s.text), h('span', { class: 'track' }, bar), h('span', { class: 'score' }, percent(s.fraction)));
    })));
}

function tabularPrediction(p: TabularPredictionJson, t: Texts, featureLabel: (name: string) => string): HTMLElement {
  const probability = p.probability ?? p.value;
  return h('div', { class: 'prediction' },
    h('p', { class: 'label', id: 'result-label' }, p.label ? h('strong', {}, p.label.text) : '', probability !== undefined ? ` ${t.probability} ${percent(probability)}` : ''),
    p.contributions ? [h('h3', {}, t.contributions), h('table', { class: 'contributions' }, p.contributions.map((c) => h('tr', {},
      h('td', {}, featureLabel(c.feature)), h('td', {}, `${c.value}${c.imputed ? ' *' : ''}`), h('td', {}, `${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(3)}`))))] : [],
    p.imputed.length ? h('p', { class: 'imputed' }, `* ${t.imputed}: ${p.imputed.map(featureLabel).join(', ')}`) : '');
}
