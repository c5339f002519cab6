import { stat } from 'node:fs/promises';
import type { ModelMemory, WarmupStatus } from '../model/model-config.js';
import type { WarmupPlan } from '../pool/warmup.js';

/** The metadata's account of a warm-up that did not make the version UNAVAILABLE. */
export function warmupStatus(plan: WarmupPlan, error: string | undefined): WarmupStatus {
  if (plan.kind === 'off') return { status: 'skipped', source: 'off', samples: 0 };
  const samples = plan.kind === 'samples' ? plan.samples.length : 1;
  return error ? { status: 'failed', source: plan.kind, samples, reason: error } : { status: 'ok', source: plan.kind, samples };
}

/** Memory held by a loaded version (see ModelMemory): the model file per session, and the RSS growth of its load. */
export async function modelMemory(modelPath: string, sessions: number, rssDeltaAtLoadBytes: number): Promise<ModelMemory> {
  const modelFileBytes = (await stat(modelPath)).size;
  const delta = Math.max(0, rssDeltaAtLoadBytes);
  return { modelFileBytes, sessions, rssDeltaAtLoadBytes: delta, estimatedBytes: Math.max(modelFileBytes * sessions, delta) };
}
