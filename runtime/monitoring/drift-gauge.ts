import { Gauge, type Registry } from 'prom-client';

/** One monitored version's PSI values, by feature ('_output' for the output). */
export interface DriftReading {
  readonly model: string;
  readonly version: string;
  readonly values: Readonly<Record<string, number>>;
}

/**
 * Registers `clinfer_drift_psi`, read from `readings` at each scrape (the values live in each READY
 * version's DriftMonitor). server.ts calls it once, with the repository's monitored versions.
 */
export function registerDriftGauge(registry: Registry, readings: () => readonly DriftReading[]): Gauge<'model' | 'version' | 'feature'> {
  return new Gauge({
    name: 'clinfer_drift_psi',
    help: 'Population stability index of live inputs (per feature) and of the output (feature="_output") against the bundle training reference, over the last 1000 rows',
    labelNames: ['model', 'version', 'feature'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const m of readings()) {
        for (const [feature, value] of Object.entries(m.values)) this.set({ model: m.model, version: m.version, feature }, value);
      }
    },
  });
}
