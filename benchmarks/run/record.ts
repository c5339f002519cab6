/**
 * What a run writes to results/latest.json: every figure with the machine, versions and settings. The
 * report and the chart are rendered from this record (also by --redraw, from the file).
 */
import type { GoalResult } from './goals.js';
import type { MachineInfo } from './machine.js';
import type { ProfileResult } from './profiles.js';
import type { SavedRun } from './results.js';

export interface RunRecord extends SavedRun {
  durationSeconds: number;
  machine: MachineInfo & { backgroundCpuPctBeforeRun: number | null };
  settings: SavedRun['settings'] & {
    parts: string[];
    /** 0 (or absent, in runs before 2026-12-05): the server's default, workers - 1. */
    maxInstancesPerModel?: number;
    client: string;
    rowSeconds: number;
    warmupSeconds: number;
    rawSecondsPerBatch: number;
    ehrConcurrency: number;
    mnistConcurrency: number;
    cRounds: number;
    profileSeconds: number;
    models: { name: string; input: string; itemDims: readonly number[]; batches: readonly number[] }[];
    fhirObservationsPerBundle: number | null;
    /** scheduling.preferred_batch_sizes clinfer served each image model with (absent in runs before 2026-12-05 02:00). */
    preferredBatchSizes?: Record<string, number[]>;
    /** Whether clinfer lent kept workers to busy models (absent in runs before worker lending). */
    workerLending?: boolean;
    /** How clinfer ran: compiled dist/ under plain node, or the sources through tsx (absent: source, runs before 2026-12-05 03:00). */
    servedFrom?: 'dist' | 'source';
  };
  /** The baseline file the "before" figures came from. */
  baseline: { file: string; date: string; gitRevision: string } | null;
  /** Issue 16's table, then the X-ray scheduler targets. */
  goals: (Omit<GoalResult, 'profile'> & { profileScenario: string | null })[];
  workersVsThreads: unknown;
  profiles: ProfileResult[];
}

export const scenarioName = (p: { model: { name: string }; format: string; concurrency: number }) => `${p.model.name}-${p.format}-c${p.concurrency}`;

export function toJson(record: RunRecord): string {
  return `${JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
