import { SCOPES, type Scope } from '../config/access-vocabulary.js';

/** Who is calling. `name` is safe to log (a key name, a token subject, a certificate subject). */
export interface Identity {
  readonly name: string;
  readonly kind: 'api-key' | 'jwt' | 'certificate' | 'anonymous';
  readonly scopes: ReadonlySet<Scope>;
}

export const ANONYMOUS_ALL: Identity = Object.freeze({ name: 'anonymous', kind: 'anonymous', scopes: new Set(SCOPES) });
