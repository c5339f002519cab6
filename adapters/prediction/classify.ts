/**
 * Reading a classifier's output row: the very same steps on the server and in the browser.
 */
export interface LabelDeclaration {
  readonly id: string;
  readonly text?: Record<string, string> | undefined;
}

export interface ClassScore {
  readonly id: string;
  readonly text: string;
  readonly score: number;
}

export interface Classification {
  /** The top class. */
  readonly label: { readonly id: string; readonly text: string };
  readonly score: number;
  /** Every class, in the model's output order. */
  readonly scores: ClassScore[];
}

export function softmax(values: ArrayLike<number>): number[] {
  const list = Array.from(values);
  const max = Math.max(...list);
  const exps = list.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Scores for one output row as the bundle's postprocessing kind says: 'softmax' over logits,
 * 'sigmoid' over one logit (binary), 'probability' (already probabilities; one value means P(positive)).
 */
export function classScores(kind: string, row: ArrayLike<number>): number[] {
  const values = Array.from(row);
  if (kind === 'softmax') return softmax(values);
  const binary = (p: number) => [1 - p, p];
  if (kind === 'sigmoid') return values.length === 1 ? binary(1 / (1 + Math.exp(-values[0]!))) : values.map((v) => 1 / (1 + Math.exp(-v)));
  return values.length === 1 ? binary(values[0]!) : values;
}

/** Top class and every class's score, labelled in the language asked for (English, then the id, as fallback). */
export function classify(scores: readonly number[], labels: readonly LabelDeclaration[], language: string): Classification {
  const named = scores.map((score, i) => {
    const label = labels[i];
    const id = label?.id ?? String(i);
    return { id, text: label?.text?.[language] ?? label?.text?.en ?? id, score };
  });
  let top = 0;
  for (let i = 1; i < named.length; i++) if (named[i]!.score > named[top]!.score) top = i;
  const best = named[top]!;
  return { label: { id: best.id, text: best.text }, score: best.score, scores: named };
}
