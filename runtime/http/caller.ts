import type { Response } from 'express';
import type { Identity } from '../auth/identity.js';

/** The authenticated caller's name for logs and the audit log ('anonymous' when authentication is off). */
export function callerOf(res: Response): string {
  return (res.locals.identity as Identity | undefined)?.name ?? 'anonymous';
}
