import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { relativeError } from './relative-paths.js';
import { stagingPath } from './repository-layout.js';

export interface StagedDeploy {
  readonly root: string;
  readonly name: string;
  readonly version: string;
  readonly files: readonly { name: string; data: Buffer }[];
  /** Whether the model folder was there before: a failed first version leaves no empty model folder. */
  readonly modelFolderExisted: boolean;
  /** Checks the staged folder (signature, replay policy, bundle); what it throws refuses the deploy. */
  readonly check: (staging: string) => Promise<void>;
}

/**
 * Stores an uploaded bundle as `<root>/<name>/<version>/` atomically: written and checked in a staging
 * folder on the same file system, then renamed into place. A refused or failed deploy leaves nothing
 * behind, and its errors name the version folder, never the staging folder.
 */
export async function stageVersion(deploy: StagedDeploy): Promise<void> {
  const { root, name, version } = deploy;
  const modelDir = join(root, name);
  const staging = stagingPath(root);
  await mkdir(staging);
  try {
    for (const f of deploy.files) await writeFile(join(staging, f.name), f.data);
    await deploy.check(staging);
    await mkdir(modelDir, { recursive: true });
    await rename(staging, join(modelDir, version));
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // The first version of a model that failed leaves no empty model folder (it would list as a broken model).
    if (!deploy.modelFolderExisted) await rmdir(modelDir).catch(() => undefined);
    throw relativeError(root, error, [[staging, join(name, version)]]);
  }
}
