import type { ClinferPageApi } from './page-api.js';

/**
 * The page API for a host page of another origin that frames the app (allowed by the server's
 * frame-ancestors). Requests: {type: 'clinfer.predict', id, model, input, language?}; answers, sent to
 * the requesting window and only to its origin: {type: 'clinfer.result', id, result} or
 * {type: 'clinfer.error', id, error: {code, message}}. Only the parent window is listened to.
 * On load the app posts {type: 'clinfer.ready', version: 1} to its parent (it carries no data).
 */
export function listenToHost(api: ClinferPageApi): void {
  if (window.parent === window) return;
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.source !== window.parent || event.origin === 'null') return;
    const data = event.data as { type?: unknown; id?: unknown; model?: unknown; input?: unknown; language?: unknown } | null;
    if (!data || typeof data !== 'object' || data.type !== 'clinfer.predict') return;
    const reply = (message: object) => (event.source as Window).postMessage(message, event.origin);
    const id = data.id;
    const language = typeof data.language === 'string' ? data.language : undefined;
    api.predict(data.model as string, data.input as never, language ? { language } : {}).then(
      (result) => reply({ type: 'clinfer.result', id, result }),
      (error: { code?: string; message?: string }) => reply({ type: 'clinfer.error', id, error: { code: error.code ?? 'INFERENCE_FAILED', message: error.message ?? String(error) } }),
    );
  });
  window.parent.postMessage({ type: 'clinfer.ready', version: 1 }, '*');
}
