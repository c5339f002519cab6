import { readFileSync } from 'node:fs';
import { ClinferError } from '../errors/index.js';
import { deepFreeze } from '../util/deep-freeze.js';
import { configRules, configSchema, type Config, type ConfigInput } from './config-schema.js';
import { readTrustedKeys } from './trusted-keys.js';

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
  CLINFER_INSECURE: ['insecure', (v) => (v === '1' || v.toLowerCase() === 'true' ? true : v === '0' || v.toLowerCase() === 'false' ? false : v)],
  CLINFER_TLS_CERT_FILE: ['tlsCertFile', String],
  CLINFER_TLS_KEY_FILE: ['tlsKeyFile', String],
  CLINFER_TLS_CLIENT_CA_FILE: ['tlsClientCaFile', String],
  CLINFER_AUDIT_LOG: ['auditLog', String],
  CLINFER_WATCH: ['watch', (v) => (v === '1' || v.toLowerCase() === 'true' ? true : v === '0' || v.toLowerCase() === 'false' ? false : v)],
  CLINFER_STRICT_READINESS: ['strictReadiness', (v) => (v === '1' || v.toLowerCase() === 'true' ? true : v === '0' || v.toLowerCase() === 'false' ? false : v)],
  CLINFER_TRUSTED_KEYS: ['trustedKeys', (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
  CLINFER_CORS_ORIGINS: ['corsOrigins', (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
};

/** CLINFER_API_KEYS_FILE and CLINFER_OIDC_*: structured settings from the environment. */
function structuredFromEnv(env: NodeJS.ProcessEnv | undefined, problems: Problem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env?.CLINFER_API_KEYS_FILE) {
    // Unreadable: one problem among the others, and the rest is still checked.
    try {
      out.apiKeys = JSON.parse(readFileSync(env.CLINFER_API_KEYS_FILE, 'utf8'));
    } catch (e) {
      problems.push([['apiKeys'], `${env.CLINFER_API_KEYS_FILE} is not a readable JSON file (${(e as Error).message.slice(0, 80)})`]);
    }
  }
  if (env?.CLINFER_OIDC_ISSUER) {
    out.oidc = {
      issuer: env.CLINFER_OIDC_ISSUER,
      ...(env.CLINFER_OIDC_JWKS_URI ? { jwksUri: env.CLINFER_OIDC_JWKS_URI } : {}),
      ...(env.CLINFER_OIDC_JWKS_FILE ? { jwksFile: env.CLINFER_OIDC_JWKS_FILE } : {}),
      ...(env.CLINFER_OIDC_AUDIENCE ? { audience: env.CLINFER_OIDC_AUDIENCE } : {}),
      ...(env.CLINFER_OIDC_SCOPE_CLAIM ? { scopeClaim: env.CLINFER_OIDC_SCOPE_CLAIM } : {}),
    };
  }
  return out;
}


export interface ConfigSources {
  /** Path of a JSON config file (--config). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Settings from command-line flags (`--grpc-port` for grpcPort), typed where they could be read; a value
   * that could not (`--port 80a`) comes as its string, and the schema names it with the flag.
   */
  flags?: { [K in keyof ConfigInput]?: ConfigInput[K] | string };
}

/** Where each top-level setting came from, for error messages ('env CLINFER_PORT', 'flag --port'). */
type SourceOf = (key: string) => string | undefined;
/** A setting's path and what is wrong with it. */
type Problem = [string[], string];

/**
 * Validates the merged settings once and freezes them. A refusal lists every problem found, each with the
 * setting's path and where its value came from, so that one run shows all that needs fixing.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const fromFile = sources.file ? readConfigFile(sources.file) : {};
  const readProblems: Problem[] = [];
  const fromStructuredEnv = structuredFromEnv(sources.env, readProblems);
  const fromEnv: Record<string, unknown> = {};
  // Setting -> the variable that set it (only those the environment sets).
  const envName: Record<string, string> = {};
  if (sources.env?.CLINFER_API_KEYS_FILE) envName.apiKeys = 'CLINFER_API_KEYS_FILE';
  if (sources.env?.CLINFER_OIDC_ISSUER) envName.oidc = 'CLINFER_OIDC_ISSUER';
  for (const [name, [key, read]] of Object.entries(ENVIRONMENT)) {
    const value = sources.env?.[name];
    if (value !== undefined && value !== '') {
      fromEnv[key] = read(value);
      envName[key] = name;
    }
  }
  const fromFlags = definedOnly(sources.flags ?? {});
  const sourceOf: SourceOf = (key) => {
    if (key in fromFlags) return `flag --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (key in envName) return `env ${envName[key]}`;
    if (key in fromFile) return `config file ${sources.file}`;
    return undefined;
  };
  return validate({ ...fromFile, ...fromStructuredEnv, ...fromEnv, ...fromFlags }, sourceOf, readProblems);
}

export function parseConfig(input: unknown): Config {
  return validate(input, () => undefined, []);
}

function validate(input: unknown, sourceOf: SourceOf, earlier: Problem[]): Config {
  const parsed = configSchema.safeParse(input);
  const problems: Problem[] = [...earlier];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String);
      // An unknown key is a problem of its own: name it, so that its source can be named too.
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) problems.push([[...path, key], 'not a setting (docs/configuration.md lists them)']);
      else problems.push([path, issue.message]);
    }
  } else if (problems.length === 0) {
    for (const [path, message] of configRules(parsed.data)) problems.push([path.split('.'), message]);
  }
  // Key files are read here, once: the configuration holds the keys themselves (trusted-keys.ts). They are
  // read even when other settings are wrong, so that one run lists every problem.
  const trusted = readTrustedKeys(parsed.success ? parsed.data.trustedKeys : keyFilesOf(input));
  for (const [index, message] of trusted.problems) problems.push([['trustedKeys', String(index)], message]);
  if (problems.length === 0 && parsed.success) return deepFreeze({ ...parsed.data, trustedKeys: trusted.keys });
  const lines = problems.map(([path, message]) => {
    const source = path[0] === undefined ? undefined : sourceOf(path[0]);
    return `configuration field '${path.join('.') || '(top level)'}'${source ? ` (${source})` : ''}: ${message}`;
  });
  throw new ClinferError('CONFIG_INVALID', lines.length === 1 ? lines[0]! : `${lines.length} configuration problems:\n  ${lines.join('\n  ')}`);
}

/** `trustedKeys` of input that failed the schema, when that field itself is well formed (else nothing to read). */
function keyFilesOf(input: unknown): string[] {
  const files = (input as { trustedKeys?: unknown } | undefined)?.trustedKeys;
  return Array.isArray(files) && files.every((f) => typeof f === 'string' && f !== '') ? files : [];
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
