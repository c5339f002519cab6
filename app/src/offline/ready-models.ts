import { hasBundleFiles } from '../bundle/bundle-cache.js';
import { listModels, metadataKey, savedCopy, type ModelMetadata } from '../server/models.js';

/**
 * The names of the models with a READY version. Offline (the server out of reach, its last list used),
 * only the models whose metadata and both bundle files this device holds: a model never opened here
 * would be listed and then fail.
 */
export async function readyModels(): Promise<{ names: string[]; offline: boolean }> {
  const { value, offline } = await listModels();
  const names = [...new Set(value.filter((e) => e.state === 'READY').map((e) => e.name))].sort();
  if (!offline) return { names, offline };
  const opened = await Promise.all(names.map(async (name) => {
    const meta = await savedCopy<ModelMetadata>(metadataKey(name));
    return meta && (await hasBundleFiles(meta)) ? name : undefined;
  }));
  return { names: opened.filter((n): n is string => n !== undefined), offline };
}
