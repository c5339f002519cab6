import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClinferError } from '../errors/index.js';
import { bundleSchema, type Bundle } from './bundle-schema.js';
import { resolvePipeline } from './pipeline.js';
import { sha256File } from './sha256-file.js';
import type { PipelineSpec } from '../pool/messages.js';
import { deepFreeze } from '../util/deep-freeze.js';

export const BUNDLE_FILE = 'bundle.json';
const BARE_MODEL_FILES = ['model.onnx', 'model.ort'];

/** What a version folder holds once read: a validated bundle, or a bare model file. */
export interface VersionFolder {
  readonly modelPath: string;
  readonly bundle: Bundle | undefined;
  /** bundle.json `pipeline`, its files checked and its wiring resolved: `modelPath` is its first step. */
  readonly pipeline?: PipelineSpec;
}

const bundleError = (file: string, message: string) => new ClinferError('BUNDLE_INVALID', `${file}: ${message}`);

/**
 * Reads `<dir>/bundle.json` (validated, defaults filled, frozen) and checks the model file's sha256,
 * or finds a bare model.onnx / model.ort. Every failure names the file and the field.
 */
export async function readVersionFolder(dir: string, expected: { name: string; version: string } | undefined): Promise<VersionFolder> {
  const bundlePath = join(dir, BUNDLE_FILE);
  const raw = await readFile(bundlePath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw bundleError(bundlePath, `cannot be read (${e.code ?? e.message})`);
  });
  if (raw === undefined) return { modelPath: await findBareModel(dir), bundle: undefined };

  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw bundleError(bundlePath, `is not valid JSON (${(e as Error).message})`);
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    throw bundleError(bundlePath, `field '${field}': ${issue.message}`);
  }
  const bundle = parsed.data;
  // Folder names are checked in Triton's layout; a flat KServe folder is served under the name it is given.
  if (expected && bundle.name !== expected.name) {
    throw bundleError(bundlePath, `field 'name': '${bundle.name}' does not match the model folder '${expected.name}'`);
  }
  if (expected && bundle.version !== expected.version) {
    throw bundleError(bundlePath, `field 'version': '${bundle.version}' does not match the version folder '${expected.version}'`);
  }
  const modelPath = join(dir, bundle.model.file);
  const info = await stat(modelPath).catch(() => undefined);
  if (!info?.isFile()) throw bundleError(bundlePath, `field 'model.file': ${bundle.model.file} is not a file in ${dir}`);
  const digest = await sha256File(modelPath);
  if (digest !== bundle.model.sha256) {
    throw bundleError(bundlePath, `field 'model.sha256': ${bundle.model.file} has sha256 ${digest}, the bundle declares ${bundle.model.sha256}`);
  }
  const pipeline = bundle.pipeline ? await resolvePipeline(dir, bundlePath, { ...bundle, pipeline: bundle.pipeline }) : undefined;
  return { modelPath, bundle: deepFreeze(bundle), ...(pipeline ? { pipeline } : {}) };
}

async function findBareModel(dir: string): Promise<string> {
  for (const file of BARE_MODEL_FILES) {
    const path = join(dir, file);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) return path;
  }
  throw bundleError(dir, `holds neither ${BUNDLE_FILE} nor ${BARE_MODEL_FILES.join(' / ')}`);
}

// Its own module: pipeline.ts needs it too, and importing it from here made an import cycle.
export { sha256File } from './sha256-file.js';
