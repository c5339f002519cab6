import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A minimal valid bundle.json for a model file, with overrides (tests only). */
export function bundleJson(name: string, version: string, modelFile: string, patch: Record<string, unknown> = {}): string {
  const sha256 = createHash('sha256').update(readFileSync(modelFile)).digest('hex');
  return JSON.stringify({ schema_version: 1, name, version, task: 'other', model: { file: 'model.onnx', sha256 }, ...patch });
}
