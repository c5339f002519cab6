import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TabularSpec } from '../../adapters/tabular/tabular-spec.js';
import { BUNDLE_FILE, readVersionFolder, sha256File } from '../bundle/read-bundle.js';
import { bundleDigest, fileDigests } from '../bundle/signature.js';
import { ClinferError } from '../errors/index.js';
import { buildModelConfig } from '../model/build-model-config.js';
import type { ModelConfig } from '../model/model-config.js';
import { createSession, describeValues } from '../pool/session-factory.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { PACKAGE_ROOT } from '../util/own-files.js';
import { sessionScheduler } from '../scheduler/session-scheduler.js';

export const CLINFER_VERSION: string = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')).version;

/** A model version loaded as the server loads it (bundle checks, digest, ONNX Runtime session). */
export interface ServedModel {
  readonly config: ModelConfig & { tabular: TabularSpec };
  readonly scheduler: Scheduler;
  readonly digest: string;
  readonly dir: string;
  release(): Promise<void>;
}

const bundleError = (message: string) => new ClinferError('BUNDLE_INVALID', message);

/** Loads `<models>/<name>/<version>` (the highest version when none is given); only tabular bundles. */
export async function loadServedModel(models: string, name: string, version: string | undefined): Promise<ServedModel> {
  const modelDir = join(models, name);
  if (!statSync(modelDir, { throwIfNoEntry: false })?.isDirectory()) throw bundleError(`--model ${name}: no folder ${modelDir}`);
  const chosen = version ?? readdirSync(modelDir).filter((v) => /^[1-9][0-9]*$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (!chosen) throw bundleError(`--model ${name}: ${modelDir} holds no version folder`);
  const dir = join(modelDir, chosen);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw bundleError(`--version ${chosen}: no folder ${dir}`);
  // The digest the server reports as model_digest for this folder (bundle.json, model and every other file).
  const digest = bundleDigest(await fileDigests(dir, false));
  const folder = await readVersionFolder(dir, { name, version: chosen });
  if (folder.pipeline) throw bundleError(`${name} version ${chosen}: clinfer validate does not read pipelines (bundle.json 'pipeline') yet`);
  const created = await createSession({
    key: 'validate', modelPath: folder.modelPath, modelSha256: await sha256File(folder.modelPath), executionTimeoutMs: 0,
    providers: [...(folder.bundle?.execution.providers ?? ['cpu'])], intraOpThreads: 1, warmup: { kind: 'off' },
  });
  const config = buildModelConfig(
    { name, version: chosen, bundleFile: join(dir, BUNDLE_FILE), digest },
    { inputs: describeValues(created.session.inputMetadata), outputs: describeValues(created.session.outputMetadata), provider: created.provider },
    folder.bundle,
    { autofillMaxBatchSize: 256, instances: 1, maxQueueSize: 1, maxQueueDelayUs: undefined },
  );
  if (!config.tabular || config.bundle?.task !== 'classification') {
    await created.session.release();
    throw bundleError(`${name} version ${chosen}: clinfer validate reads tabular classification bundles (preprocessing.kind 'tabular', task 'classification')`);
  }
  return { config: config as ModelConfig & { tabular: TabularSpec }, scheduler: sessionScheduler(created.session), digest, dir, release: () => created.session.release() };
}
