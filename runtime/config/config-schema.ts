import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { defaultProviders } from './default-providers.js';

const providers = z.array(z.enum(['cpu', 'cuda', 'tensorrt', 'openvino', 'dml', 'coreml'])).min(1);

/**
 * The server's settings, from (lowest to highest precedence) defaults, a config file, environment
 * variables and command-line flags. docs/configuration.md lists each with its variable and flag.
 */
export const configSchema = z.strictObject({
  models: z.string().min(1).default('./models'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Port of the gRPC endpoint (inference.GRPCInferenceService); 0 = any free port, -1 = off. */
  grpcPort: z.number().int().min(-1).max(65535).default(8081),
  /** Worker threads; with intraOpThreads 1 one per core measured fastest on 2 cores. */
  workers: z.number().int().min(1).max(256).default(() => Math.max(1, availableParallelism())),
  intraOpThreads: z.number().int().min(1).max(256).default(1),
  /** Execution providers for models whose bundle does not say: CUDA then CPU when CUDA is installed. */
  providers: providers.default(() => defaultProviders()),
  /** The name of the one model of a single-model repository (KServe's /mnt/models layout). */
  modelName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . -').default('model'),
  /** max_batch_size given to a bare model whose first dimension is dynamic. */
  autofillMaxBatchSize: z.number().int().min(0).max(65536).default(32),
  /** Cap on each worker's JavaScript heap (MiB); a worker over it dies, its requests get WORKER_EXITED. */
  workerMaxHeapMb: z.number().int().min(16).optional(),
  /** Queue bound per model version when its bundle sets none (429 beyond it). */
  maxQueueSize: z.number().int().min(1).default(2048),
  /** Overrides every bundle's max_queue_delay_us when set. */
  maxQueueDelayUs: z.number().int().min(0).max(10_000_000).optional(),
  /** The URL clients use to reach this server (behind a proxy); default: from each request's Host. */
  publicUrl: z.string().url().optional(),
  /** CDS Hooks client authentication: a JWKS file of the EHRs' public keys. Unset: no authentication. */
  cdsHooksJwksFile: z.string().min(1).optional(),
  /** Accepted `iss` values of CDS Hooks client tokens (required when cdsHooksJwksFile is set). */
  cdsHooksIssuers: z.array(z.string().min(1)).default([]),
  maxBodyBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Cross-field rules that the field schemas cannot express. */
export const configRules = (c: z.infer<typeof configSchema>): [string, string] | undefined =>
  c.cdsHooksJwksFile && c.cdsHooksIssuers.length === 0 ? ['cdsHooksIssuers', 'list the accepted token issuers when cdsHooksJwksFile is set'] : undefined;
export type ConfigInput = z.input<typeof configSchema>;
