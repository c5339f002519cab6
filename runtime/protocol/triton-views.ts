import type { InferenceStatistics, VersionStatistics } from '../metrics/inference-statistics.js';
import { tritonModelConfig, type TritonModelConfig } from './triton-config.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { requireReady, type ModelVersion } from '../repository/model-version.js';

/**
 * The answers of Triton's model configuration and statistics extensions, shared by HTTP and gRPC
 * (the gRPC messages have the same field names, so one object serves both).
 */
export function modelConfigView(repository: ModelRepository, version: ModelVersion): TritonModelConfig {
  const v = requireReady(version);
  return tritonModelConfig(v.config, { versionPolicy: repository.versionPolicyOf(v.name), modelPath: v.spec?.modelPath, intraOpThreads: v.spec?.intraOpThreads });
}

/**
 * Statistics of every READY version (no name), of every READY version of one model (a name), or of one
 * version (name and version). A model or version that does not exist is MODEL_NOT_FOUND / VERSION_NOT_FOUND;
 * one that exists without a READY version is MODEL_NOT_READY, as for inference.
 */
export function statisticsView(repository: ModelRepository, stats: InferenceStatistics, name?: string, version?: string): { model_stats: VersionStatistics[] } {
  let versions: ModelVersion[];
  if (!name) versions = repository.readyVersions();
  else if (version) versions = [requireReady(repository.resolve(name, version))];
  else {
    const resolved = repository.resolve(name);
    versions = repository.readyVersions().filter((v) => v.name === name);
    if (versions.length === 0) requireReady(resolved);
  }
  versions.sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  return { model_stats: versions.map((v) => stats.of(v.name, v.version)) };
}
