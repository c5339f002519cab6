/**
 * The names a configuration may use for access: the scopes a credential can hold (`apiKeys[].scopes`,
 * `roleScopes`, `tlsClientScopes`) and the probe paths an operator may make public (`publicPaths`).
 * They live here, below runtime/auth, so the configuration validates them without importing auth;
 * runtime/auth gives them their meaning.
 */
export const SCOPES = ['infer', 'deploy', 'admin', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];

/** The only paths an operator may make public (`publicPaths`): probes carry no credentials. */
export const PROBE_PATHS = ['/v2/health/live', '/v2/health/ready', '/metrics'] as const;
export type ProbePath = (typeof PROBE_PATHS)[number];
