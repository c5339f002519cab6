import { z } from 'zod';

const histogram = z.strictObject({
  edges: z.array(z.number()),
  proportions: z.array(z.number().min(0)),
  missing: z.number().min(0).max(1).default(0),
}).refine((h) => h.proportions.length === h.edges.length + 1, 'proportions needs one entry more than edges');

/** `monitoring.drift_reference` of a bundle: training distributions of the input features and the output. */
export const driftReferenceSchema = z.looseObject({
  features: z.record(z.string(), histogram).default({}),
  /** Images: the histogram of the input tensor's values (intensities after preprocessing). */
  input_intensity: histogram.optional(),
  output: histogram.optional(),
});
export type DriftReference = z.infer<typeof driftReferenceSchema>;
type Histogram = z.infer<typeof histogram>;

/** Below 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25 significant shift (the usual PSI reading). */
export const PSI_BANDS = { moderate: 0.1, significant: 0.25 } as const;
const EPSILON = 1e-4;
const INTENSITY_SAMPLES = 256;
const INTENSITY_WINDOW = 65536;

/**
 * One number per row to compare with the output reference: P(last class) for softmax models, else the
 * row's first value (a sigmoid probability, a regression value).
 */
export function outputSummary(postprocessingKind: string | undefined, values: ArrayLike<number>, rows: number): Float64Array {
  const width = rows > 0 ? values.length / rows : 0;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    if (postprocessingKind === 'softmax' && width > 1) {
      let max = -Infinity;
      for (let k = 0; k < width; k++) max = Math.max(max, values[r * width + k]!);
      let sum = 0;
      for (let k = 0; k < width; k++) sum += Math.exp(values[r * width + k]! - max);
      out[r] = Math.exp(values[r * width + width - 1]! - max) / sum;
    } else {
      out[r] = values[r * width]!;
    }
  }
  return out;
}

/** Makes a version's drift monitor at load; server.ts passes it to the repository (tests may pass a fake). */
export type DriftMonitorFactory = (reference: DriftReference, columns: readonly string[]) => DriftMonitor;

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
    if (reference.input_intensity) this.#rings.set('_intensity', { bins: new Int16Array(INTENSITY_WINDOW), next: 0, filled: 0 });
  }

  /** Images: samples up to 256 values of the input tensor, evenly spaced, into the intensity histogram. */
  observeIntensity(values: ArrayLike<number>): void {
    const ref = this.#reference.input_intensity;
    const ring = this.#rings.get('_intensity');
    if (!ref || !ring) return;
    const step = Math.max(1, Math.floor(values.length / INTENSITY_SAMPLES));
    for (let i = 0; i < values.length; i += step) {
      ring.bins[ring.next] = binOf(ref.edges, values[i]!);
      ring.next = (ring.next + 1) % ring.bins.length;
      ring.filled = Math.min(ring.filled + 1, ring.bins.length);
    }
  }

  /** Feeds input rows (row-major, one column per feature; NaN = missing), before they are sent away. */
  observeInputs(rows: ArrayLike<number>, rowCount: number): void {
    const width = this.#columns.length;
    for (let r = 0; r < rowCount; r++) {
      this.#columns.forEach((name, c) => this.#push(name, this.#reference.features[name], rows[r * width + c]!));
    }
  }

  /** Feeds one summary value per row of the model's output (see outputSummary). */
  observeOutputs(summaries: ArrayLike<number>): void {
    if (this.#reference.output) for (let r = 0; r < summaries.length; r++) this.#push('_output', this.#reference.output, summaries[r]!);
  }

  /** PSI per feature (and `_output`), once `minRows` rows have been seen. */
  psi(minRows = 100): { observed: number; values: Record<string, number> } {
    const values: Record<string, number> = {};
    let observed = 0;
    for (const [name, ring] of this.#rings) {
      observed = Math.max(observed, ring.filled);
      if (ring.filled < minRows) continue;
      const ref = name === '_output' ? this.#reference.output! : name === '_intensity' ? this.#reference.input_intensity! : this.#reference.features[name]!;
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
