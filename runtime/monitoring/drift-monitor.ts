import { z } from 'zod';

const histogram = z.strictObject({
  edges: z.array(z.number()),
  proportions: z.array(z.number().min(0)),
  missing: z.number().min(0).max(1).default(0),
}).refine((h) => h.proportions.length === h.edges.length + 1, 'proportions needs one entry more than edges');

/** `monitoring.drift_reference` of a bundle: training distributions of the input features and the output. */
export const driftReferenceSchema = z.looseObject({
  features: z.record(z.string(), histogram).default({}),
  output: histogram.optional(),
});
export type DriftReference = z.infer<typeof driftReferenceSchema>;
type Histogram = z.infer<typeof histogram>;

/** Below 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25 significant shift (the usual PSI reading). */
export const PSI_BANDS = { moderate: 0.1, significant: 0.25 } as const;
const EPSILON = 1e-4;

/**
 * Rolling population stability index per feature and for the output, over the last `window` rows.
 * Only bin indices are kept (ring buffers of small integers), never a value: no patient data is stored.
 */
export class DriftMonitor {
  readonly #reference: DriftReference;
  readonly #window: number;
  readonly #columns: readonly string[];
  readonly #rings = new Map<string, { bins: Int16Array; next: number; filled: number }>();

  constructor(reference: DriftReference, columns: readonly string[], window = 1000) {
    this.#reference = reference;
    this.#columns = columns;
    this.#window = window;
    for (const name of [...columns.filter((c) => reference.features[c]), ...(reference.output ? ['_output'] : [])]) {
      this.#rings.set(name, { bins: new Int16Array(window), next: 0, filled: 0 });
    }
  }

  /** Feeds input rows (row-major, one column per feature; NaN = missing), before they are sent away. */
  observeInputs(rows: ArrayLike<number>, rowCount: number): void {
    const width = this.#columns.length;
    for (let r = 0; r < rowCount; r++) {
      this.#columns.forEach((name, c) => this.#push(name, this.#reference.features[name], rows[r * width + c]!));
    }
  }

  /** Feeds the model's output, one value per row (e.g. the probability). */
  observeOutputs(values: ArrayLike<number>, rowCount: number): void {
    const stride = rowCount > 0 ? values.length / rowCount : 1;
    if (this.#reference.output) for (let r = 0; r < rowCount; r++) this.#push('_output', this.#reference.output, values[r * stride]!);
  }

  /** PSI per feature (and `_output`), once `minRows` rows have been seen. */
  psi(minRows = 100): { observed: number; values: Record<string, number> } {
    const values: Record<string, number> = {};
    let observed = 0;
    for (const [name, ring] of this.#rings) {
      observed = Math.max(observed, ring.filled);
      if (ring.filled < minRows) continue;
      const ref = name === '_output' ? this.#reference.output! : this.#reference.features[name]!;
      const bins = ref.proportions.length;
      const counts = new Array<number>(bins + 1).fill(0);
      for (let i = 0; i < ring.filled; i++) counts[ring.bins[i]!]! += 1;
      // Bins plus "missing" as one more category, each side renormalised.
      const expected = [...ref.proportions.map((p) => p * (1 - ref.missing)), ref.missing];
      let psi = 0;
      for (let b = 0; b <= bins; b++) {
        const a = Math.max(counts[b]! / ring.filled, EPSILON);
        const e = Math.max(expected[b]!, EPSILON);
        psi += (a - e) * Math.log(a / e);
      }
      values[name] = Math.round(psi * 1e4) / 1e4;
    }
    return { observed, values };
  }

  #push(name: string, ref: Histogram | undefined, value: number): void {
    const ring = this.#rings.get(name);
    if (!ring || !ref) return;
    ring.bins[ring.next] = Number.isNaN(value) ? ref.proportions.length : binOf(ref.edges, value);
    ring.next = (ring.next + 1) % this.#window;
    ring.filled = Math.min(ring.filled + 1, this.#window);
  }
}

/** The bin of `value`: the number of edges at or below it (as numpy's searchsorted(side='right')). */
function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
