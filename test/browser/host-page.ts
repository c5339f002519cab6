import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostPage {
  readonly origin: string;
  /** The host page that frames `appUrl` (an /app/ URL on another origin). */
  url(appUrl: string): string;
  close(): Promise<void>;
}

/**
 * A stand-in for an EHR or PACS viewer on another origin (another loopback port) that frames the app
 * and calls it through postMessage. window.hostPredict(model, input) resolves to the app's reply.
 * `headers` are added to the host page's response (e.g. COOP/COEP, to be a cross-origin isolated viewer).
 */
export async function startHostPage(options: { headers?: Record<string, string> } = {}): Promise<HostPage> {
  const server: Server = createServer((req, res) => {
    const app = new URL(req.url ?? '/', 'http://x').searchParams.get('app');
    if (!app || !URL.canParse(app)) return void res.writeHead(404).end();
    const appOrigin = new URL(app).origin;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...options.headers });
    res.end(`<!doctype html><meta charset="utf-8"><title>host</title>
<iframe id="clinfer" src="${app}" width="900" height="700"></iframe>
<script>
const APP = ${JSON.stringify(appOrigin)};
const pending = new Map();
let next = 1;
window.appReady = new Promise((ready) => addEventListener('message', (e) => { if (e.origin === APP && e.data && e.data.type === 'clinfer.ready') ready(true); }));
addEventListener('message', (e) => {
  const d = e.data;
  if (e.origin !== APP || !d || (d.type !== 'clinfer.result' && d.type !== 'clinfer.error')) return;
  const done = pending.get(d.id);
  pending.delete(d.id);
  if (done) done(d);
});
window.hostPredict = (model, input) => new Promise((done) => {
  const id = 'req-' + next++;
  pending.set(id, done);
  document.getElementById('clinfer').contentWindow.postMessage({ type: 'clinfer.predict', id, model, input }, APP);
});
</script>`);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (appUrl) => `${origin}/host.html?app=${encodeURIComponent(appUrl)}`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
