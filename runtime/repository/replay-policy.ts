import { readFileSync } from 'node:fs';
import type { Config } from '../config/config-schema.js';
import { ClinferError } from '../errors/index.js';

/**
 * Which bundles may not come back once withdrawn: a signature proves who made a bundle, not that it is
 * still wanted, so a deleted or superseded signed bundle could otherwise be deployed again (replayed).
 * Checked on deploy (409) and on every load (the version is UNAVAILABLE with the reason).
 */
export interface ReplayPolicy {
  /** Throws BUNDLE_REVOKED or BUNDLE_SUPERSEDED when this exact bundle or this version may not be served. */
  check(name: string, version: string, digest: string): void;
  /** On deploy, with `refuseSupersededBundles`: throws BUNDLE_SUPERSEDED when a higher version is on disk. */
  checkNotSuperseded(name: string, version: string, versionsOnDisk: readonly string[]): void;
}

export function createReplayPolicy(config: Config): ReplayPolicy {
  const revoked = new Set([...config.revokedBundleDigests, ...(config.revokedBundleDigestsFile ? readDigestFile(config.revokedBundleDigestsFile) : [])]);
  const minVersions = new Map(Object.entries(config.bundleMinVersions));
  return {
    check(name, version, digest) {
      if (revoked.has(digest)) throw new ClinferError('BUNDLE_REVOKED', `model '${name}' version ${version}: bundle digest ${digest} is revoked (revokedBundleDigests); it is not served again`);
      const min = minVersions.get(name);
      if (min !== undefined && Number(version) < min) throw new ClinferError('BUNDLE_SUPERSEDED', `model '${name}' version ${version} is below the minimum version ${min} (bundleMinVersions); it is not served again`);
    },
    checkNotSuperseded(name, version, versionsOnDisk) {
      if (!config.refuseSupersededBundles) return;
      const newer = versionsOnDisk.filter((v) => Number(v) > Number(version)).sort((a, b) => Number(b) - Number(a))[0];
      if (newer !== undefined) throw new ClinferError('BUNDLE_SUPERSEDED', `model '${name}' already has version ${newer}; version ${version} is superseded (refuseSupersededBundles): deploy it as a version above ${newer}`);
    },
  };
}

/** One lowercase hex sha256 per line; blank lines and '#' comments skipped; anything else refuses to start. */
function readDigestFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ClinferError('CONFIG_INVALID', `configuration field 'revokedBundleDigestsFile': ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const digests: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    if (!/^[0-9a-f]{64}$/.test(line)) throw new ClinferError('CONFIG_INVALID', `configuration field 'revokedBundleDigestsFile': ${path} line ${i + 1} is not a bundle digest (64 lowercase hex characters)`);
    digests.push(line);
  });
  return digests;
}
