import * as ort from 'onnxruntime-node';
import type { SessionSpec, ValueInfo } from './messages.js';

export interface CreatedSession {
  session: ort.InferenceSession;
  provider: string;
  fallbacks: { provider: string; error: string }[];
}

/**
 * Creates a session with the first execution provider that starts. onnxruntime-node 1.30 throws when
 * a listed provider is missing (e.g. ['cuda','cpu'] without CUDA), so each is tried alone, CPU last.
 */
export async function createSession(spec: SessionSpec): Promise<CreatedSession> {
  const order = [...spec.providers.filter((p) => p !== 'cpu'), 'cpu'];
  const fallbacks: { provider: string; error: string }[] = [];
  for (const provider of order) {
    try {
      const session = await ort.InferenceSession.create(spec.modelPath, {
        executionProviders: [provider],
        intraOpNumThreads: spec.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      return { session, provider, fallbacks };
    } catch (error) {
      if (provider === 'cpu') throw error;
      fallbacks.push({ provider, error: firstLine(error) });
    }
  }
  throw new Error('unreachable');
}

export function describeValues(list: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] {
  return list.map((m) =>
    m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false },
  );
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}
