export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): exponential from initialMs, capped at maxMs,
 * with "equal jitter" (half fixed, half random) so a PACS coming back is not hit by every edge node at once
 * while no retry comes sooner than half its step.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}
