import type { Metrics } from '../metrics/metrics.js';
import { liveFigures } from './live-figures.js';
import type { OutcomeResult, OutcomeStore, PredictionIdKind, RecordedPrediction } from './outcome-store.js';

const HOUR_MS = 3_600_000;

/**
 * Keeps the live performance gauges of each model version in step with the outcome store: recomputed
 * from the store when an outcome arrives for that version, and for every version after the hourly purge
 * of rows past the retention (the window rolls). `floorOf` gives the validated level for the alert.
 */
export class LiveMonitor {
  readonly #store: OutcomeStore;
  readonly #metrics: Metrics;
  readonly #floorOf: (model: string, version: string) => number | undefined;
  readonly #timer: NodeJS.Timeout;
  /** Versions whose gauges are set: updated after a purge even when their last labelled row is gone. */
  readonly #shown = new Map<string, { model: string; version: string }>();

  constructor(store: OutcomeStore, metrics: Metrics, floorOf: (model: string, version: string) => number | undefined) {
    this.#store = store;
    this.#metrics = metrics;
    this.#floorOf = floorOf;
    this.purge();
    this.#timer = setInterval(() => this.purge(), HOUR_MS);
    this.#timer.unref();
  }

  recordPredictions(kind: PredictionIdKind, id: string, p: RecordedPrediction): void {
    this.#store.recordPredictions(kind, id, p);
  }

  /** Joins an observed outcome to its prediction and moves that version's gauges. */
  recordOutcome(model: string, kind: PredictionIdKind, id: string, index: number | undefined, label: 0 | 1): OutcomeResult {
    const result = this.#store.recordOutcome(model, kind, id, index, label);
    this.update(result.model, result.version);
    return result;
  }

  /** Recomputes one version's gauges from its labelled predictions. */
  update(model: string, version: string): void {
    const { scores, labels } = this.#store.labelled(model, version);
    const f = liveFigures(scores, labels);
    const labels_ = { model, version };
    this.#shown.set(`${model}\0${version}`, labels_);
    this.#metrics.liveOutcomes.set(labels_, f.n);
    for (const [gauge, value] of [[this.#metrics.liveRocAuc, f.rocAuc], [this.#metrics.liveCalibration, f.observedOverExpected], [this.#metrics.livePositiveRate, f.positiveRate]] as const) {
      if (value === null) gauge.remove(labels_);
      else gauge.set(labels_, value);
    }
    const floor = this.#floorOf(model, version);
    if (floor !== undefined) this.#metrics.validatedRocAuc.set(labels_, floor);
  }

  /** Deletes rows past the retention and recomputes every version's gauges. */
  purge(): void {
    this.#store.purge();
    for (const v of this.#store.labelledVersions()) this.#shown.set(`${v.model}\0${v.version}`, v);
    for (const v of [...this.#shown.values()]) this.update(v.model, v.version);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#store.close();
  }
}
