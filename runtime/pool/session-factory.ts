import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { exposeZipMapInputs } from '../onnx/expose-zipmap.js';
import { type SessionSpec, type ValueInfo, WorkerBundleError } from './messages.js';

export interface CreatedSession {
  session: ort.InferenceSession;
  provider: string;
  fallbacks: { provider: string; error: string }[];
}

/**
 * The model file's bytes, read once and checked against the sha256 verified at load. The session is made
 * from these very bytes (not from the path), so what runs is what was verified, also in a worker started
 * long after the load (a replacement) when the file on disk may have been swapped.
 */
export async function readVerifiedModel(spec: Pick<SessionSpec, 'modelPath' | 'modelSha256'>): Promise<Uint8Array> {
  const bytes = await readFile(spec.modelPath);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== spec.modelSha256) {
    throw new Error(`model file ${spec.modelPath} changed on disk since it was verified (sha256 ${actual.slice(0, 16)}…, verified ${spec.modelSha256.slice(0, 16)}…): refused; deploy a new version instead`);
  }
  return bytes;
}

/**
 * Creates a session with the first execution provider that starts. onnxruntime-node 1.30 throws when
 * a listed provider is missing (e.g. ['cuda','cpu'] without CUDA), so each is tried alone, CPU last.
 */
export async function createSession(spec: SessionSpec): Promise<CreatedSession> {
  const order = [...spec.providers.filter((p) => p !== 'cpu'), 'cpu'];
  const fallbacks: { provider: string; error: string }[] = [];
  // scikit-learn-onnx's ZipMap output becomes the probabilities tensor it was made from (in memory only).
  const { bytes } = exposeZipMapInputs(await readVerifiedModel(spec));
  for (const provider of order) {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        intraOpNumThreads: spec.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      return { session, provider, fallbacks };
    } catch (error) {
      // CPU is the last resort: a model it cannot load is the bundle's fault (400 BUNDLE_INVALID), not a
      // failed inference.
      if (provider === 'cpu') throw new WorkerBundleError(`ONNX Runtime cannot load the model file: ${firstLine(error)}`);
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
