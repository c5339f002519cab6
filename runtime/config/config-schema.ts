import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { PROBE_PATHS, SCOPES } from './access-vocabulary.js';
import { defaultProviders } from './default-providers.js';
import type { TrustedKey } from './trusted-keys.js';

const aeTitle = z.string().regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'an AE title: 1 to 16 printable ASCII characters, no backslash').refine((t) => t.trim().length > 0, 'an AE title is not blank');
const upperList = z.array(z.string().min(1)).min(1).transform((l) => l.map((v) => v.toUpperCase()));
const dicomRoute = z.strictObject({
  model: z.string().min(1),
  /** A version to pin; default: the model's serving version. */
  version: z.string().min(1).optional(),
  /** Each given condition must hold (a list matches any of its values, case-insensitive). */
  modality: upperList.optional(),
  sopClassUid: z.array(z.string().regex(/^[0-9.]{1,64}$/)).min(1).optional(),
  bodyPart: upperList.optional(),
  /** A regular expression tested against SeriesDescription, case-insensitive. */
  seriesDescription: z.string().min(1).max(200).refine((r) => { try { new RegExp(r, 'i'); return true; } catch { return false; } }, 'a valid regular expression').optional(),
  /** One result object per model and study (default), or per model and series. */
  groupBy: z.enum(['study', 'series']).default('study'),
});
const dicomDestination = z.discriminatedUnion('kind', [
  z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    kind: z.literal('stowrs'),
    /** DICOMweb base URL; results are POSTed to {url}/studies. */
    url: z.string().url(),
    /** Extra request headers, e.g. Authorization. */
    headers: z.record(z.string(), z.string()).default({}),
  }),
  z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    kind: z.literal('cstore'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    calledAeTitle: aeTitle,
    callingAeTitle: aeTitle.default('CLINFER'),
    /** DICOM TLS: set, the association runs over TLS and the peer's certificate must chain to this CA (PEM). */
    tlsCaFile: z.string().min(1).optional(),
    /** Our client certificate and key (PEM), for an SCP that requires one. */
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
  }),
]);
export type DicomRoute = z.infer<typeof dicomRoute>;
export type DicomDestination = z.infer<typeof dicomDestination>;

/** One trusted token issuer; its keys verify only its own tokens. */
const oidcIssuer = z.strictObject({
  issuer: z.string().url(),
  jwksUri: z.string().url().optional(),
  jwksFile: z.string().min(1).optional(),
  audience: z.string().min(1).optional(),
  /** Claim holding roles (list) or scopes (space-separated string); dots reach nested claims. */
  scopeClaim: z.string().min(1).default('scope'),
  /** Role or scope names in tokens -> clinfer scopes: the only way a token gets a scope. */
  roleScopes: z.record(z.string(), z.array(z.enum(SCOPES))).default({}),
  /** Opt-in: claim values spelled like clinfer scopes ('infer', 'admin'...) grant those scopes unmapped. */
  grantClaimValuesAsScopes: z.boolean().default(false),
  /** Tokens living longer than this (exp - iat) are refused. */
  maxTokenLifetimeSeconds: z.number().int().min(60).default(7200),
  /** Tolerance for the issuer's clock (exp, nbf, and iat in the future). */
  clockSkewSeconds: z.number().int().min(0).max(600).default(30),
}).refine((o) => (o.jwksUri === undefined) !== (o.jwksFile === undefined), 'give exactly one of jwksUri and jwksFile');
export type OidcIssuer = z.infer<typeof oidcIssuer>;

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
  /** Autofill lowers max_batch_size so that one batch of a model's inputs and outputs fits in this many bytes. */
  autofillBatchBudgetBytes: z.number().int().min(1024).default(256 * 1024 * 1024),
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
  /** FHIR servers a hook request may name as `fhirServer` (scheme, host and port exact, path a prefix); others: 403. */
  cdsHooksFhirServers: z.array(z.string().url().refine((u) => /^https?:$/.test(new URL(u).protocol) && !new URL(u).username && !new URL(u).search && !new URL(u).hash, 'an http(s) URL without credentials, query or fragment')).default([]),
  /** Largest CDS Hooks request body (JSON, prefetch included). */
  cdsHooksMaxBodyBytes: z.number().int().min(1024).default(8 * 1024 * 1024),
  /** CDS Hooks fetches from the EHR's FHIR server: results per page (`_count`), and how far `next` links are followed. */
  cdsHooksFhirPageSize: z.number().int().min(1).max(1000).default(100),
  cdsHooksFhirMaxPages: z.number().int().min(1).max(1000).default(20),
  cdsHooksFhirMaxResources: z.number().int().min(1).max(100_000).default(2000),
  /** Bearer API keys: only their SHA-256 digests are stored (`clinfer key create` makes one). */
  apiKeys: z.array(z.strictObject({
    name: z.string().min(1).max(100),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex characters (the SHA-256 of the key)'),
    scopes: z.array(z.enum(SCOPES)).min(1),
  })).default([]),
  /** OIDC / JWT bearer tokens (e.g. the hospital's Keycloak): one issuer, or a list; each with its own JWKS. */
  oidc: z.union([oidcIssuer, z.array(oidcIssuer).min(1)]).transform((o) => (Array.isArray(o) ? o : [o])).optional(),
  /** TLS: certificate and key (PEM), reloaded when the files change. */
  tlsCertFile: z.string().min(1).optional(),
  tlsKeyFile: z.string().min(1).optional(),
  /** Mutual TLS: client certificates must chain to this CA bundle; the subject CN becomes the identity. */
  tlsClientCaFile: z.string().min(1).optional(),
  tlsClientScopes: z.array(z.enum(SCOPES)).default(['infer']),
  /** Probes that need no credentials: only these paths may be made public. */
  publicPaths: z.array(z.enum(PROBE_PATHS)).default(['/v2/health/live', '/v2/health/ready']),
  /**
   * Model control over the API (Triton's --model-control-mode): "explicit" serves load, unload, deploy,
   * delete, rollback and candidates (to `admin`/`deploy` callers); "none" answers them 403
   * MODEL_CONTROL_DISABLED: models come only from the repository folder.
   */
  modelControlMode: z.enum(['explicit', 'none']).default('explicit'),
  /** A second HTTP listener that alone serves model control (and health, the model list, metrics). */
  adminListener: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    tlsClientCaFile: z.string().min(1).optional(),
  }).optional(),
  /** A version whose sessions are not created and warmed up within this time is UNAVAILABLE. */
  loadTimeoutMs: z.number().int().min(1000).default(300_000),
  /**
   * Isolation (docs/isolation.md). The longest one execution (batch) of a model may run unless its bundle
   * says otherwise (execution.timeout_ms): past it the run is abandoned, its callers get EXECUTION_TIMEOUT,
   * the version goes UNAVAILABLE and the worker thread is replaced.
   */
  executionTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
  /** Worker threads one model version may occupy at once; 0: all but one (at least one), leaving room for the others. */
  maxInstancesPerModel: z.number().int().min(0).max(256).default(0),
  /**
   * With maxInstancesPerModel 0: a busy version may also run on the kept thread while it is idle and no
   * other version has requests waiting, and gives it back (docs/isolation.md#lending). false: never.
   */
  workerLending: z.boolean().default(true),
  /** 'process': a version is first loaded and warmed up in a child process that is killed past loadTimeoutMs, then in the threads. */
  loadIsolation: z.enum(['process', 'thread']).default('process'),
  /** Exit (code 75) for the supervisor to restart the process once this many abandoned threads are still stuck; 0: never. */
  exitAfterStuckWorkers: z.number().int().min(0).max(256).default(0),
  /** Readiness (Triton's --strict-readiness): ready only when every expected model has a READY version. */
  strictReadiness: z.boolean().default(true),
  /** Models whose state never holds readiness back (strictReadiness), e.g. an experimental one. */
  optionalModels: z.array(z.string().min(1)).default([]),
  /** On SIGTERM/SIGINT: how long accepted requests may take to finish before the workers are stopped. */
  shutdownGraceMs: z.number().int().min(0).default(30_000),
  /** Watch the repository folder and load a model whose folder changed, once its files are complete. */
  watch: z.boolean().default(false),
  /** Append-only, tamper-evident audit log (JSON lines) of every prediction and deployment; unset: none. */
  auditLog: z.string().min(1).optional(),
  /** Ed25519 private key (PKCS8 PEM, `clinfer audit keygen`) that signs the audit log's checkpoints; unset: none. */
  auditKeyFile: z.string().min(1).optional(),
  /** A signed checkpoint after this many audit entries (and at rotation and shutdown). */
  auditCheckpointEvery: z.number().int().min(1).max(1_000_000).default(100),
  /** Secret for the HMAC of input digests, request ids and DICOM UIDs; unset: <auditLog>.hmac-key, created 0600. */
  auditHmacKeyFile: z.string().min(1).optional(),
  /** Start a new audit segment when the live file reaches this size (bytes); unset: no size rotation. */
  auditRotateBytes: z.number().int().min(4096).optional(),
  /** Start a new audit segment when the live file has been written for this long (seconds); unset: none. */
  auditRotateSeconds: z.number().int().min(1).optional(),
  /** refuse: a request whose audit entry cannot be written gets 503 AUDIT_UNAVAILABLE; serve: answered, failure logged. */
  auditFailurePolicy: z.enum(['refuse', 'serve']).default('refuse'),
  /** Access-denied entries written per client address and minute; the rest are counted in one summary entry. */
  auditAccessDeniedPerMinute: z.number().int().min(1).max(100_000).default(60),
  /** Also send each signed checkpoint to a syslog collector (RFC 5424; UDP, or TCP with octet counting). */
  auditSyslog: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(['udp', 'tcp']).default('udp'),
  }).optional(),
  /** Ed25519 public keys (PEM files): when set, only bundles signed by one of them are served. */
  trustedKeys: z.array(z.string().min(1)).default([]),
  /** Replay policy: the lowest version of each model that may be deployed or served (model name -> version). */
  bundleMinVersions: z.record(z.string(), z.number().int().min(1)).default({}),
  /** Replay policy: bundle digests (sha256, as in the model metadata) never deployed nor served again. */
  revokedBundleDigests: z.array(z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex characters (a bundle digest)')).default([]),
  /** Replay policy: a file of revoked bundle digests, one per line ('#' comments), read at start. */
  revokedBundleDigestsFile: z.string().min(1).optional(),
  /** Replay policy: refuse to deploy a version lower than the model's highest version on disk. */
  refuseSupersededBundles: z.boolean().default(false),
  /** SQLite file of predictions (digests and scores) and their reported outcomes (POST /v1/models/{m}/outcomes); unset: none kept. */
  outcomeDatabase: z.string().min(1).optional(),
  /** Predictions and outcomes older than this are deleted; also the window of the live performance gauges. */
  outcomeRetentionDays: z.number().int().min(1).max(3650).default(365),
  /** Promotion gate (POST .../candidate/promote): a passing local validation report signed by a trusted site. */
  promotionPolicy: z.strictObject({
    requireValidationReport: z.boolean().default(false),
    /** Ed25519 public keys (PEM files, `clinfer bundle keygen`) of the sites whose validation reports count. */
    trustedSiteKeys: z.array(z.string().min(1)).default([]),
  }).refine((p) => !p.requireValidationReport || p.trustedSiteKeys.length > 0, { path: ['trustedSiteKeys'], message: 'requireValidationReport needs the public keys of the sites whose reports count' })
    .default({ requireValidationReport: false, trustedSiteKeys: [] }),
  /** Largest bundle archive accepted by PUT /v2/repository/models/{m}/versions/{v}, unpacked. */
  maxBundleBytes: z.number().int().min(1024).default(1024 * 1024 * 1024),
  /** A bundle archive may unpack to at most this many times its size (past 64 MiB): gzip bombs stop early. */
  maxBundleUnpackRatio: z.number().min(1).default(200),
  /** Accept serving a non-loopback address without authentication. */
  insecure: z.boolean().default(false),
  /** Per-identity limits; unset: none. */
  rateLimit: z.strictObject({
    requestsPerSecond: z.number().positive(),
    burst: z.number().int().min(1),
    maxConcurrent: z.number().int().min(1).default(64),
  }).optional(),
  /** Serve the clinician's web app at /app/ (docs/web-app.md). */
  webApp: z.boolean().default(true),
  /** Origins allowed to frame the web app (CSP frame-ancestors), besides the server's own. */
  webAppFrameAncestors: z.array(z.string().regex(/^https?:\/\/[A-Za-z0-9.\-[\]:]+$/, 'an origin: scheme://host[:port]')).default([]),
  /** COOP/COEP on /app/ so ONNX Runtime Web runs multi-threaded; off only if a proxy cannot pass them. */
  webAppCrossOriginIsolation: z.boolean().default(true),
  /** Origins allowed to call the API from a browser (CORS); empty: none. */
  corsOrigins: z.array(z.string().url()).default([]),
  /** Largest request body where nothing larger is needed: other endpoints, and models of small or unknown input size. */
  maxBodyBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
  /** Infer (HTTP and gRPC) accepts what a model's static input shapes need, a full batch in binary, up to this. */
  maxBodyBytesCeiling: z.number().int().min(1024).default(1024 * 1024 * 1024),
  /** JSON responses whose worst-case size passes this are refused (OUTPUT_TOO_LARGE_FOR_JSON) before encoding. */
  maxJsonResponseBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(64 * 1024 * 1024),
  /** Threads that decode and preprocess images (DICOM codecs, sharp), apart from the inference workers. */
  imagingThreads: z.number().int().min(1).max(64).default(() => Math.max(1, Math.floor(availableParallelism() / 2))),
  /** Largest image or DICOM frame accepted, in pixels (rows x columns), checked from the header. */
  maxImagePixels: z.number().int().min(1).default(8192 * 8192),
  /** Most frames accepted in one DICOM instance. */
  maxFrames: z.number().int().min(1).default(2000),
  /** Largest decoded pixel data of one DICOM instance (guards deflate and codec bombs). */
  maxDecodedBytes: z.number().int().min(1024).default(1024 * 1024 * 1024),
  /** Most parts in one multipart/related body (STOW-RS, multi-instance predict). */
  maxParts: z.number().int().min(1).default(1000),
  /** Which imaging model runs on which DICOM instance (STOW-RS, C-STORE): every matching rule runs. */
  dicomRoutes: z.array(dicomRoute).default([]),
  /** DICOM C-STORE SCP (and C-ECHO): off unless configured. */
  dicomScp: z.strictObject({
    aeTitle: aeTitle.default('CLINFER'),
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 = any free port (tests). */
    port: z.number().int().min(0).max(65535).default(11112),
    /** Calling AE titles allowed to associate; empty: any. */
    allowedCallingAeTitles: z.array(aeTitle).default([]),
    maxInstancesPerAssociation: z.number().int().min(1).default(5000),
    maxBytesPerAssociation: z.number().int().min(1024).default(4 * 1024 * 1024 * 1024),
    /** DICOM TLS (PS3.15 B.1): certificate and key (PEM); set, the SCP accepts TLS connections only. */
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    /** Set, a client certificate chaining to this CA (PEM) is required at the TLS handshake. */
    tlsClientCaFile: z.string().min(1).optional(),
  }).optional(),
  /** Where DICOM results (SR) go: STOW-RS endpoints and C-STORE SCPs, each by name. */
  dicomDestinations: z.array(dicomDestination).default([]),
  /** Instances received (C-STORE, STOW-RS), kept on disk until their results are queued (kept across restarts); dead-letter/ inside. */
  inboxDir: z.string().min(1).default('./inbox'),
  /** A study is processed once no instance of it has arrived for this long (instances come in several associations). */
  dicomStudySettleMs: z.number().int().min(0).max(3_600_000).default(10_000),
  /** Processing that failed for a transient reason (model not ready, queue full): back-off between these bounds; dead-letter after maxAgeMs. */
  dicomProcessingRetry: z.strictObject({
    initialMs: z.number().int().min(1).default(2000),
    maxMs: z.number().int().min(1).default(120_000),
    maxAgeMs: z.number().int().min(1000).default(24 * 3600 * 1000),
  }).default({ initialMs: 2000, maxMs: 120_000, maxAgeMs: 24 * 3600 * 1000 }),
  /** How long what was sent for a study is remembered, so that a later instance yields a superseding result. */
  dicomStudyRetentionMs: z.number().int().min(60_000).default(7 * 24 * 3600 * 1000),
  /** Durable outbox of results not yet delivered (kept across restarts). */
  outboxDir: z.string().min(1).default('./outbox'),
  /** Delivery retries: exponential back-off between these bounds, for at most maxAgeMs. */
  deliveryRetry: z.strictObject({
    initialMs: z.number().int().min(1).default(1000),
    maxMs: z.number().int().min(1).default(300_000),
    maxAgeMs: z.number().int().min(1000).default(7 * 24 * 3600 * 1000),
  }).default({ initialMs: 1000, maxMs: 300_000, maxAgeMs: 7 * 24 * 3600 * 1000 }),
  /**
   * Write-back (docs/tabular.md): RiskAssessments POSTed to the EHR's FHIR server through a durable outbox
   * (<outboxDir>/fhir, retried like deliveryRetry), authenticated by SMART Backend Services. Unset: off.
   */
  fhirWriteBack: z.strictObject({
    /** FHIR base URL; RiskAssessments are POSTed to {url}/RiskAssessment. */
    url: z.string().url().refine((u) => /^https?:$/.test(new URL(u).protocol) && !new URL(u).username && !new URL(u).search && !new URL(u).hash, 'an http(s) URL without credentials, query or fragment'),
    /** The authorization server's token endpoint (also the client assertion's audience). */
    tokenUrl: z.string().url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'an http(s) URL'),
    clientId: z.string().min(1).max(256),
    /** PKCS8 PEM private key whose public key is registered with the authorization server (RSA for RS384, P-384 for ES384). */
    privateKeyFile: z.string().min(1),
    /** `kid` of that key in the JWKS registered with the server. */
    keyId: z.string().min(1).max(256),
    alg: z.enum(['RS384', 'ES384']).default('RS384'),
    scope: z.string().min(1).default('system/RiskAssessment.write'),
    /** Also write back the risk of every CDS Hooks call whose fhirServer is this url. */
    cdsHooks: z.boolean().default(false),
    /** One token request or POST longer than this fails (and is retried). */
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  }).optional(),
  /** Named in the results' equipment modules (IHE AIR Contributing Equipment). */
  resultManufacturer: z.string().min(1).max(64).default('clinfer'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

/** The validated settings; `trustedKeys` holds the keys read from the configured files (trusted-keys.ts). */
export type Config = Readonly<Omit<z.infer<typeof configSchema>, 'trustedKeys'> & { trustedKeys: readonly TrustedKey[] }>;

/** Cross-field rules that the field schemas cannot express: every broken one, as [field path, what is wrong]. */
export const configRules = (c: z.infer<typeof configSchema>): Array<[string, string]> => {
  const broken: Array<[string, string]> = [];
  if (c.cdsHooksJwksFile && c.cdsHooksIssuers.length === 0) broken.push(['cdsHooksIssuers', 'list the accepted token issuers when cdsHooksJwksFile is set']);
  if (c.cdsHooksJwksFile && !c.publicUrl) broken.push(['publicUrl', 'CDS Hooks client authentication (cdsHooksJwksFile) checks the token audience against publicUrl, never the Host header: set publicUrl to the URL the EHR calls']);
  if (c.oidc && new Set(c.oidc.map((o) => o.issuer)).size !== c.oidc.length) broken.push(['oidc', 'two entries have the same issuer']);
  if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) broken.push(['tlsKeyFile', 'TLS needs both tlsCertFile and tlsKeyFile']);
  if (c.tlsClientCaFile && !c.tlsCertFile) broken.push(['tlsClientCaFile', 'mutual TLS needs tlsCertFile and tlsKeyFile too']);
  const admin = c.adminListener;
  if (admin && (admin.tlsCertFile === undefined) !== (admin.tlsKeyFile === undefined)) broken.push(['adminListener.tlsKeyFile', 'TLS on the admin listener needs both tlsCertFile and tlsKeyFile']);
  if (admin?.tlsClientCaFile && !admin.tlsCertFile) broken.push(['adminListener.tlsClientCaFile', 'mutual TLS on the admin listener needs its tlsCertFile and tlsKeyFile too']);
  if (admin && c.modelControlMode === 'none') broken.push(['adminListener', "the admin listener serves model control, which modelControlMode 'none' turns off"]);
  if (admin && admin.port !== 0 && admin.port === c.port) broken.push(['adminListener.port', 'the admin listener needs a port of its own']);
  const scp = c.dicomScp;
  if (scp && (scp.tlsCertFile === undefined) !== (scp.tlsKeyFile === undefined)) broken.push(['dicomScp.tlsKeyFile', 'DICOM TLS on the SCP needs both tlsCertFile and tlsKeyFile']);
  if (scp?.tlsClientCaFile && !scp.tlsCertFile) broken.push(['dicomScp.tlsClientCaFile', 'client certificates on the SCP need its tlsCertFile and tlsKeyFile too']);
  for (const [i, d] of c.dicomDestinations.entries()) {
    if (d.kind !== 'cstore') continue;
    if ((d.tlsCertFile === undefined) !== (d.tlsKeyFile === undefined)) broken.push([`dicomDestinations.${i}.tlsKeyFile`, 'a client certificate needs both tlsCertFile and tlsKeyFile']);
    if (d.tlsCertFile && !d.tlsCaFile) broken.push([`dicomDestinations.${i}.tlsCaFile`, 'DICOM TLS to a destination is turned on by tlsCaFile (the CA its certificate must chain to); a client certificate alone does not']);
  }
  const destinations = new Set(c.dicomDestinations.map((d) => d.name));
  if (destinations.size !== c.dicomDestinations.length) broken.push(['dicomDestinations', 'two destinations have the same name']);
  const names = new Set(c.apiKeys.map((k) => k.name));
  if (names.size !== c.apiKeys.length) broken.push(['apiKeys', 'two keys have the same name']);
  return broken;
};
export type ConfigInput = z.input<typeof configSchema>;
