import { createHash } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/config-schema.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { declaredAucFloor } from '../validation/declared.js';
import { LiveMonitor } from './live-monitor.js';
import { OutcomeStore } from './outcome-store.js';

/**
 * The outcome store the configuration asks for (undefined without outcomeDatabase). Ids are kept as the
 * audit log writes them (HMAC under the audit secret) when an audit log is configured, so that an entry
 * and a prediction can be matched; otherwise as plain SHA-256.
 */
export function openOutcomes(config: Config, metrics: Metrics, audit: AuditLog | undefined, repository: ModelRepository): LiveMonitor | undefined {
  if (!config.outcomeDatabase) return undefined;
  const pseudonym = audit ? (value: string) => audit.pseudonym(value) : (value: string) => createHash('sha256').update(value).digest('hex');
  const store = new OutcomeStore({ file: config.outcomeDatabase, retentionDays: config.outcomeRetentionDays, pseudonym });
  return new LiveMonitor(store, metrics, (model, version) => {
    try {
      return declaredAucFloor(repository.resolve(model, version).config?.bundle);
    } catch {
      return undefined; // a version no longer in the repository: its floor stays as it was last set
    }
  });
}
