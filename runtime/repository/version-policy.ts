import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ClinferError } from '../errors/index.js';

/** `<repo>/<model>/model.json`: settings shared by all versions of a model (optional file). */
export const MODEL_FILE = 'model.json';

const policySchema = z.union([
  z.strictObject({ latest: z.number().int().min(1) }),
  z.strictObject({ all: z.literal(true) }),
  z.strictObject({ specific: z.array(z.string().regex(/^[1-9][0-9]*$/)).min(1) }),
]);
const modelFileSchema = z.strictObject({ version_policy: policySchema.default({ latest: 1 }) });

export type VersionPolicy = z.infer<typeof policySchema>;

export async function readVersionPolicy(modelDir: string): Promise<VersionPolicy> {
  const path = join(modelDir, MODEL_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return { latest: 1 };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ClinferError('BUNDLE_INVALID', `${path}: is not valid JSON (${(e as Error).message})`);
  }
  const parsed = modelFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ClinferError('BUNDLE_INVALID', `${path}: field '${issue.path.join('.') || 'version_policy'}': ${issue.message} (expected {"latest": N}, {"all": true} or {"specific": ["1", ...]})`);
  }
  return parsed.data.version_policy;
}

/** Versions to serve under the policy, highest first. */
export function selectVersions(available: readonly string[], policy: VersionPolicy): string[] {
  const sorted = [...available].sort((a, b) => Number(b) - Number(a));
  if ('latest' in policy) return sorted.slice(0, policy.latest);
  if ('all' in policy) return sorted;
  return sorted.filter((v) => policy.specific.includes(v));
}
