import { AppError, type AppErrorCode } from '../errors.js';
import { readToken } from './token.js';

/**
 * The page's one way to reach the server. It asks only its own origin, only for the model list,
 * metadata and bundle files; it never sends a body (the patient's image and values stay in the page).
 * The user's token, if any, goes in Authorization and to no other origin.
 */
export async function apiFetch(path: string, init: { method?: 'GET' | 'POST' } = {}): Promise<Response> {
  const url = new URL(path, location.origin);
  if (url.origin !== location.origin || !path.startsWith('/')) throw new Error(`refusing to call ${path}: the page only calls its own origin`);
  const headers: Record<string, string> = {};
  const token = readToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, { method: init.method ?? 'GET', headers, credentials: 'same-origin', cache: 'no-cache' });
  } catch (error) {
    throw new AppError('OFFLINE', `the clinfer server cannot be reached (${url.pathname})`, { cause: error });
  }
  if (!res.ok) throw await errorFrom(res, url.pathname);
  return res;
}

async function errorFrom(res: Response, path: string): Promise<AppError> {
  let body: { error?: string; code?: string } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // Not the server's JSON error (a proxy's page): the status says enough.
  }
  const said = body.error ? `: ${body.error}` : '';
  const byStatus: Record<number, AppErrorCode> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'MODEL_NOT_FOUND' };
  const known: readonly string[] = ['MODEL_NOT_FOUND', 'MODEL_NOT_READY', 'UNAUTHENTICATED', 'FORBIDDEN'];
  const code = body.code && known.includes(body.code) ? (body.code as AppErrorCode) : byStatus[res.status] ?? 'SERVER_ERROR';
  if (code === 'UNAUTHENTICATED') return new AppError(code, `the server needs an access token${said}; paste one with the key button`);
  if (code === 'FORBIDDEN') return new AppError(code, `the access token does not allow ${path}${said}`);
  return new AppError(code, `${path}: HTTP ${res.status}${said}`);
}
