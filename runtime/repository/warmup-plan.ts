import { lstat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Bundle } from '../bundle/bundle-schema.js';
import { ClinferError } from '../errors/index.js';
import type { WarmupPlan } from '../pool/warmup.js';
import type { WarmupSampleInput } from '../pool/warmup-sample.js';

/** Sample files together may not exceed this: every worker reads them once per session it creates. */
export const MAX_WARMUP_FILE_BYTES = 1024 * 1024 * 1024;

/**
 * Turns bundle.json's `warmup` into the plan the workers run: `false` -> off; declared samples ->
 * their files checked here (inside the folder, present, bounded) so a mistake names the field before
 * any session is created; nothing declared -> a synthetic run with the bundle's shapes (dynamic
 * dimensions 1 for the batch, 32 elsewhere).
 */
export async function warmupPlan(dir: string, bundle: Bundle | undefined, bundleFile: string): Promise<WarmupPlan> {
  const declared = bundle?.warmup;
  if (declared === false) return { kind: 'off' };
  if (declared === undefined) {
    return { kind: 'synthetic', shapes: Object.fromEntries((bundle?.inputs ?? []).map((t) => [t.name, t.shape.map((d, i) => (d >= 0 ? d : i === 0 ? 1 : 32))])) };
  }
  let total = 0;
  const samples = [];
  for (const [index, sample] of declared.samples.entries()) {
    const inputs: Record<string, WarmupSampleInput> = {};
    for (const [name, input] of Object.entries(sample.inputs)) {
      const field = `warmup.samples[${index}].inputs.${name}`;
      if (input.data) {
        inputs[name] = { shape: [...input.shape], data: [...input.data] };
        continue;
      }
      const path = resolve(dir, input.file!);
      const inside = relative(resolve(dir), path);
      if (inside.startsWith('..')) throw invalid(bundleFile, `${field}.file`, `'${input.file}' is outside the version folder`);
      // lstat: a symbolic link is refused, so a sample cannot make the workers read outside the folder.
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile()) throw invalid(bundleFile, `${field}.file`, `'${input.file}' is not a file in ${dir}${info?.isSymbolicLink() ? ' (a symbolic link)' : ''}`);
      total += info.size;
      if (total > MAX_WARMUP_FILE_BYTES) throw invalid(bundleFile, `${field}.file`, `the warm-up files exceed ${MAX_WARMUP_FILE_BYTES} bytes together`);
      inputs[name] = { shape: [...input.shape], fileName: input.file!, path: join(dir, input.file!) };
    }
    samples.push({ label: sample.name ? `'${sample.name}'` : `[${index}]`, inputs });
  }
  return { kind: 'samples', samples };
}

const invalid = (bundleFile: string, field: string, message: string) => new ClinferError('BUNDLE_INVALID', `${bundleFile}: field '${field}': ${message}`);
