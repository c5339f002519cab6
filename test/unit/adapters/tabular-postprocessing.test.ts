import { describe, expect, it } from 'vitest';
import { parseTabularPostprocessing, readRow } from '../../../adapters/tabular/postprocessing.js';
import { describeShortfall, shortfall } from '../../../adapters/tabular/least-observed.js';
import { tabularSpecSchema } from '../../../adapters/tabular/tabular-spec.js';

const labels = [{ id: 'no_disease' }, { id: 'disease' }];
const sklearn = [{ name: 'label', datatype: 'INT64', shape: [-1] }, { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }];
const parse = (post: Record<string, unknown>, outputs = sklearn, task = 'classification', l = labels) => parseTabularPostprocessing(post, l, task, outputs);

describe('tabular postprocessing, read against the graph', () => {
  it('reads the declared positive column of [N,2] probabilities (not column 0)', () => {
    const post = parse({ kind: 'probability', output: 'probabilities', positive_class: 1 });
    expect(readRow(post, [0.2, 0.8])).toEqual({ value: 0.8, scores: [0.2, 0.8], label: 1 });
    expect(readRow(post, [0.7, 0.3]).label).toBe(0);
    const byLabel = parse({ kind: 'probability', output: 'probabilities', positive_label: 'no_disease' });
    expect(readRow(byLabel, [0.2, 0.8])).toEqual({ value: 0.2, scores: [0.2, 0.8], label: 1 });
  });

  it('applies softmax only to declared logits, sigmoid to one logit', () => {
    const logits = parse({ kind: 'softmax', input: 'logits', output: 'probabilities', positive_class: 1 });
    expect(readRow(logits, [0, Math.log(3)]).value).toBeCloseTo(0.75, 12);
    const sigmoid = parse({ kind: 'sigmoid' }, [{ name: 'logit', datatype: 'FP32', shape: [-1, 1] }]);
    expect(readRow(sigmoid, [0]).value).toBe(0.5);
  });

  it.each([
    [{ kind: 'probability', output: 'probabilities' }, /^postprocessing\.positive_class: 'probabilities' has 2 columns .* add "positive_class": <column index, e\.g\. 1> or "positive_label": "disease"$/],
    [{ kind: 'softmax', output: 'probabilities', positive_class: 1 }, /^postprocessing\.input: softmax turns logits into probabilities/],
    [{ kind: 'probability', output: 'label', positive_class: 1 }, /^postprocessing\.output: 'label' is INT64 \(a class label, not a score\)/],
    [{ kind: 'probability', positive_class: 1 }, /^postprocessing\.output: 'label' is INT64/], // the first output by default
    [{ kind: 'probability', output: 'probabilities', positive_class: 2 }, /^postprocessing\.positive_class: 2 is not a column of 'probabilities'/],
    [{ kind: 'probability', output: 'probabilities', positive_class: 0, positive_label: 'disease' }, /^postprocessing\.positive_label: 'disease' is column 1, but positive_class says 0/],
    [{ kind: 'none', output: 'probabilities' }, /^postprocessing\.kind: 'none' reads one value per row/],
    [{ kind: 'probabilities' }, /^postprocessing\.kind: /],
  ])('refuses %j', (post, message) => {
    expect(() => parse(post)).toThrow(message);
  });

  it('refuses a label count that does not fit the columns, and a ZipMap named as the output', () => {
    expect(() => parse({ kind: 'probability', output: 'probabilities', positive_class: 1 }, sklearn, 'classification', [{ id: 'a' }, { id: 'b' }, { id: 'c' }])).toThrow(/^labels: 3 labels declared, output 'probabilities' has 2 columns/);
    expect(() => parseTabularPostprocessing({ kind: 'probability', output: 'output_probability', positive_class: 1 }, labels, 'classification', sklearn, [{ name: 'output_probability', reason: 'is not a tensor (a sequence or map, e.g. scikit-learn ZipMap)' }]))
      .toThrow(/^postprocessing\.output: 'output_probability' is not a tensor/);
  });
});

describe('least observed data', () => {
  const spec = tabularSpecSchema.parse({
    kind: 'tabular', input: 'x',
    features: ['age', 'chol', 'bp', 'smoker'].map((name) => ({ name, type: 'number', missing: 'impute_in_graph', label: { en: name.toUpperCase(), fr: `${name} (fr)` } })),
    least_observed: { required: ['age'], max_imputed_share: 0.5 },
  });
  it('passes at the limit, refuses past it or without a required feature, naming what to record', () => {
    expect(shortfall(spec, [false, false, true, true])).toBeUndefined();
    const s = shortfall(spec, [false, true, true, true])!;
    expect(describeShortfall(spec, s)).toBe('3/4 features would be imputed; the model accepts at most 2. Record: CHOL, BP, SMOKER');
    const r = shortfall(spec, [true, false, false, false])!;
    expect(describeShortfall(spec, r, 'fr')).toBe('age (fr): non observé(s), mais requis. À renseigner: age (fr)');
  });
});
