const KEY = 'clinfer.token';

/**
 * The bearer token the user pasted, kept for this tab only (sessionStorage), and sent only to the page's
 * own origin (see server/api.ts). With authentication off there is none.
 */
export function readToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string | undefined): void {
  try {
    if (token) sessionStorage.setItem(KEY, token.trim());
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage refused (e.g. a sandboxed frame): the token then lives for no request; auth fails visibly.
  }
}
