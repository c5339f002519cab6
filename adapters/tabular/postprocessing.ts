import { z } from 'zod';
import { softmax as softmaxOf, type LabelDeclaration } from '../prediction/classify.js';

/**
 * The `postprocessing` of a tabular bundle, checked against the graph's output when the bundle loads, so
 * that what a prediction reports as P(outcome) is the positive class's probability, or the bundle is
 * refused. A mistake throws Error('postprocessing.<field>: message').
 *
 * kinds:
 * - `probability` (alias `sigmoid_probability`): the output holds probabilities. One column: P(positive).
 *   Several columns (scikit-learn's `probabilities` [N,2], CatBoost's): the bundle names the positive
 *   column (`positive_class`, an index) or label (`positive_label`, a `labels[].id`).
 * - `softmax`: the output holds logits (`"input": "logits"` must say so), softmax is applied.
 * - `sigmoid`: one logit per row; P(positive) = 1 / (1 + e^-logit).
 * - `none`: a regression's value (one column).
 */
const linearModel = z.looseObject({
  intercept: z.number(),
  coefficients: z.record(z.string(), z.number()),
  means: z.record(z.string(), z.number()),
  scales: z.record(z.string(), z.number().positive()),
  medians: z.record(z.string(), z.number()).optional(),
  /** Largest accepted |logit(graph) - logit(linear model)| at the probe points checked at load. */
  tolerance: z.number().positive().max(1).optional(),
});

const schema = z.looseObject({
  kind: z.enum(['probability', 'sigmoid_probability', 'softmax', 'sigmoid', 'none']),
  output: z.string().min(1).optional(),
  /** What the output holds; softmax is only ever applied to logits. */
  input: z.enum(['probabilities', 'logits']).optional(),
  positive_class: z.number().int().min(0).optional(),
  positive_label: z.string().min(1).optional(),
  threshold: z.number().min(0).max(1).default(0.5),
  linear_model: linearModel.optional(),
});

export type TabularLinearModel = z.infer<typeof linearModel>;

/** What the graph says about the output a bundle reads (the protocol's datatype name and shape, -1 dynamic). */
export interface OutputFacts {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface TabularPostprocessing {
  readonly kind: 'probability' | 'softmax' | 'sigmoid' | 'none';
  readonly output: string;
  /** Values per row (1 for a single probability, logit or value). */
  readonly width: number;
  /** Column of the positive class's probability (width > 1), or undefined for a one-column output. */
  readonly positiveColumn: number | undefined;
  /** The positive and negative labels' indexes in `labels` (classifiers with labels). */
  readonly positiveLabel: number | undefined;
  readonly negativeLabel: number | undefined;
  readonly threshold: number;
  readonly linearModel: TabularLinearModel | undefined;
}

/**
 * Reads a tabular bundle's postprocessing against the output it names (default: the first tensor
 * output) and the bundle's labels. `outputs` are the graph's tensor outputs; `notTensors` its others.
 */
export function parseTabularPostprocessing(
  raw: unknown,
  labels: readonly LabelDeclaration[],
  task: string,
  outputs: readonly OutputFacts[],
  notTensors: readonly { name: string; reason: string }[] = [],
): TabularPostprocessing {
  const parsed = schema.safeParse(raw ?? { kind: 'none' });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`postprocessing.${issue.path.join('.') || 'kind'}: ${issue.message}`);
  }
  const post = parsed.data;
  const name = post.output ?? outputs[0]?.name;
  const out = outputs.find((o) => o.name === name);
  const available = outputs.map((o) => `'${o.name}' ${o.datatype} [${o.shape.join(',')}]`).join(', ');
  if (!out) {
    const other = notTensors.find((o) => o.name === name);
    throw new Error(`postprocessing.output: '${name}' ${other ? `${other.reason}` : 'is not an output of the graph'}; the tensor outputs are ${available || 'none'}`);
  }
  if (out.datatype !== 'FP32' && out.datatype !== 'FP64') {
    const hint = out.datatype.startsWith('INT') || out.datatype.startsWith('UINT') ? ' (a class label, not a score)' : '';
    throw new Error(`postprocessing.output: '${out.name}' is ${out.datatype}${hint}; a tabular prediction reads FP32 or FP64 scores: name the probabilities or logits output (${available})`);
  }
  if (out.shape.length < 1 || out.shape.length > 2) throw new Error(`postprocessing.output: '${out.name}' has shape [${out.shape.join(',')}]; expected [N] or [N, columns]`);
  const width = out.shape.length === 1 ? 1 : out.shape[1]!;
  if (width === -1) throw new Error(`postprocessing.output: '${out.name}' has a dynamic number of columns ([${out.shape.join(',')}]); declare its shape under "outputs" so the classes can be checked`);

  const kind = post.kind === 'sigmoid_probability' ? 'probability' : post.kind;
  const at = (field: string, message: string) => new Error(`postprocessing.${field}: ${message}`);
  if (kind === 'softmax' && post.input !== 'logits') {
    throw at('input', `softmax turns logits into probabilities; declare "input": "logits" if '${out.name}' holds logits, or use "kind": "probability" if it already holds probabilities (scikit-learn's and CatBoost's do)`);
  }
  if (kind === 'probability' && post.input === 'logits') throw at('input', `kind 'probability' reads probabilities; for logits use "kind": "softmax" (several columns) or "sigmoid" (one)`);
  if ((kind === 'sigmoid' || kind === 'none') && width !== 1) throw at('kind', `'${post.kind}' reads one value per row, '${out.name}' has ${width} columns`);
  if (kind === 'softmax' && width < 2) throw at('kind', `softmax needs two or more columns of logits, '${out.name}' has ${width}; use "kind": "sigmoid" for one logit`);
  if (kind === 'none' && task === 'classification') throw at('kind', `'none' gives a value, not a class probability; a classification bundle declares probability, sigmoid or softmax`);
  if (kind !== 'none' && task === 'regression') throw at('kind', `'${post.kind}' reads a classifier; a regression bundle declares "kind": "none"`);

  let positiveColumn: number | undefined;
  let positiveLabel: number | undefined;
  let negativeLabel: number | undefined;
  if (kind !== 'none') {
    if (width > 1 && labels.length > 0 && labels.length !== width) throw new Error(`labels: ${labels.length} labels declared, output '${out.name}' has ${width} columns (one per class)`);
    if (width === 1 && labels.length !== 0 && labels.length !== 2) throw new Error(`labels: a one-column binary output needs two labels (negative, positive), ${labels.length} declared`);
    const byLabel = post.positive_label === undefined ? undefined : labels.findIndex((l) => l.id === post.positive_label);
    if (byLabel === -1) throw at('positive_label', `'${post.positive_label}' is not a label id (labels: ${labels.map((l) => l.id).join(', ') || 'none declared'})`);
    if (post.positive_class !== undefined && post.positive_class >= width) throw at('positive_class', `${post.positive_class} is not a column of '${out.name}' (${width} columns, 0-based)`);
    if (width > 1) {
      positiveColumn = post.positive_class ?? byLabel;
      if (positiveColumn === undefined) {
        const ids = labels.length ? ` or "positive_label": "${labels.at(-1)!.id}"` : '';
        throw at('positive_class', `'${out.name}' has ${width} columns of class ${kind === 'softmax' ? 'logits' : 'probabilities'}; say which one is the outcome the prediction reports: add "positive_class": <column index, e.g. 1>${ids}`);
      }
      if (byLabel !== undefined && post.positive_class !== undefined && byLabel !== post.positive_class) {
        throw at('positive_label', `'${post.positive_label}' is column ${byLabel}, but positive_class says ${post.positive_class}`);
      }
      positiveLabel = labels.length ? positiveColumn : undefined;
      negativeLabel = labels.length === 2 ? 1 - positiveColumn : undefined;
    } else {
      if (post.positive_class !== undefined && post.positive_class !== 0) throw at('positive_class', `'${out.name}' has one column (P(positive)); positive_class can only be 0`);
      positiveLabel = labels.length === 2 ? (byLabel ?? 1) : undefined;
      negativeLabel = positiveLabel === undefined ? undefined : 1 - positiveLabel;
    }
  }
  return {
    kind,
    output: out.name,
    width,
    positiveColumn,
    positiveLabel,
    negativeLabel,
    threshold: post.threshold,
    linearModel: post.linear_model,
  };
}

/** The positive class's probability, the class scores, and the predicted class's label index, for one row. */
export function readRow(post: TabularPostprocessing, raw: readonly number[]): { value: number; scores: number[] | undefined; label: number | undefined } {
  switch (post.kind) {
    case 'none':
      return { value: raw[0]!, scores: undefined, label: undefined };
    case 'sigmoid':
    case 'probability': {
      if (post.width === 1) {
        const p = post.kind === 'sigmoid' ? 1 / (1 + Math.exp(-raw[0]!)) : raw[0]!;
        return { value: p, scores: undefined, label: p >= post.threshold ? post.positiveLabel : post.negativeLabel };
      }
      return classes(post, [...raw]);
    }
    case 'softmax':
      return classes(post, softmaxOf(raw));
  }
}

function classes(post: TabularPostprocessing, scores: number[]): { value: number; scores: number[]; label: number | undefined } {
  const value = scores[post.positiveColumn!]!;
  if (post.width === 2) return { value, scores, label: value >= post.threshold ? post.positiveLabel : post.negativeLabel };
  return { value, scores, label: post.positiveLabel === undefined ? undefined : scores.indexOf(Math.max(...scores)) };
}

/** log(p / (1 - p)) of a row's positive probability (the scale of a logistic model's linear part). */
export function logitOf(post: TabularPostprocessing, raw: readonly number[]): number {
  if (post.kind === 'sigmoid') return raw[0]!;
  const p = readRow(post, raw).value;
  return Math.log(p / (1 - p));
}
