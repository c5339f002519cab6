import { BUNDLE_FILE } from '../bundle/read-bundle.js';
import { ClinferError } from '../errors/index.js';
import { holdsModel, versionFolders } from './repository-layout.js';
import { selectVersions, type VersionPolicy } from './version-policy.js';

export interface ServingVersions {
  /** The folder holds the model itself, no version folders (KServe's layout): it is version 1. */
  readonly flat: boolean;
  /** The versions that should serve, highest first (a pin: that one alone). */
  readonly selected: string[];
}

/**
 * Which versions of a model folder should serve: a pinned version (a rollback or a promotion) over the
 * version policy, else the policy's choice among the folders except the candidate's, which loads beside
 * them by the repository's choice. Throws BUNDLE_INVALID naming the folder when none can serve.
 */
export async function servingVersions(dir: string, policy: VersionPolicy, choice: { pinned: string | undefined; candidate: string | undefined }): Promise<ServingVersions> {
  let folders = await versionFolders(dir);
  const flat = folders.length === 0 && (await holdsModel(dir));
  if (flat) folders = ['1'];
  if (folders.length === 0) throw new ClinferError('BUNDLE_INVALID', `${dir}: holds no version folder (expected ${dir}/1/${BUNDLE_FILE} or ${dir}/1/model.onnx)`);
  const { pinned, candidate } = choice;
  const selected = pinned && folders.includes(pinned) ? [pinned] : selectVersions(folders.filter((f) => f !== candidate), policy);
  if (selected.length === 0) throw new ClinferError('BUNDLE_INVALID', `${dir}: the version policy selects none of the versions ${folders.join(', ')}`);
  return { flat, selected };
}
