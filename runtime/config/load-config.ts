import { readFileSync } from 'node:fs';
import { ClinferError } from '../errors/index.js';
import { deepFreeze } from '../util/deep-freeze.js';
import { configRules, configSchema, type Config, type ConfigInput } from './config-schema.js';

/** Environment variable -> config key, with how to read the string. */
const ENVIRONMENT: Record<string, [keyof ConfigInput, (v: string) => unknown]> = {
  CLINFER_MODELS: ['models', String],
  CLINFER_HOST: ['host', String],
  CLINFER_MODEL_NAME: ['modelName', String],
  CLINFER_PORT: ['port', toNumber],
  CLINFER_GRPC_PORT: ['grpcPort', toNumber],
  CLINFER_WORKERS: ['workers', toNumber],
  CLINFER_INTRA_OP_THREADS: ['intraOpThreads', toNumber],
  CLINFER_PROVIDERS: ['providers', (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
  CLINFER_MAX_BODY_BYTES: ['maxBodyBytes', toNumber],
  CLINFER_MAX_QUEUE_SIZE: ['maxQueueSize', toNumber],
  CLINFER_PUBLIC_URL: ['publicUrl', String],
  CLINFER_CDS_HOOKS_JWKS_FILE: ['cdsHooksJwksFile', String],
  CLINFER_CDS_HOOKS_ISSUERS: ['cdsHooksIssuers', (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
  CLINFER_MAX_QUEUE_DELAY_US: ['maxQueueDelayUs', toNumber],
  CLINFER_WORKER_MAX_HEAP_MB: ['workerMaxHeapMb', toNumber],
  CLINFER_LOG_LEVEL: ['logLevel', String],
};

export interface ConfigSources {
  /** Path of a JSON config file (--config). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings from command-line flags, already typed. */
  flags?: Partial<ConfigInput>;
}

/** Validates the merged settings once and freezes them; errors name the source and the field. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const fromFile = sources.file ? readConfigFile(sources.file) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, [key, read]] of Object.entries(ENVIRONMENT)) {
    const value = sources.env?.[name];
    if (value !== undefined && value !== '') fromEnv[key] = read(value);
  }
  return parseConfig({ ...fromFile, ...fromEnv, ...definedOnly(sources.flags ?? {}) });
}

export function parseConfig(input: unknown): Config {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ClinferError('CONFIG_INVALID', `configuration field '${issue.path.join('.') || '(top level)'}': ${issue.message}`);
  }
  const broken = configRules(parsed.data);
  if (broken) throw new ClinferError('CONFIG_INVALID', `configuration field '${broken[0]}': ${broken[1]}`);
  return deepFreeze(parsed.data);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ClinferError('CONFIG_INVALID', `config file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new ClinferError('CONFIG_INVALID', `config file ${path} is not a JSON object (${(e as Error).message})`);
  }
}

function toNumber(v: string): unknown {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
