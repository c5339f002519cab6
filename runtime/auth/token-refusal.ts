import { errors } from 'jose';
import { ClinferError } from '../errors/index.js';

/** Turns a jose verification failure into UNAUTHENTICATED, saying which check refused the token. */
export function tokenRefused(error: unknown): ClinferError {
  const reason = error instanceof errors.JWTClaimValidationFailed ? `claim '${error.claim}' ${error.reason === 'missing' ? 'is missing' : 'is not accepted'}`
    : error instanceof errors.JWTExpired ? 'the token has expired'
    : error instanceof errors.JOSEError ? error.code : 'the token is malformed';
  return new ClinferError('UNAUTHENTICATED', `the bearer token was refused: ${reason}`);
}
