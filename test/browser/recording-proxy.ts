/**
 * A loopback pass-through proxy in front of a real clinfer server that records the method and path of
 * every request reaching it: the browser tests use it to prove what the page sends (and that nothing
 * reaches the server while offline). It changes nothing in the requests or the answers.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClinferServer } from '../../runtime/server.js';

export interface RecordingProxy {
  readonly url: string;
  /** Method and path of every request that reached the server through this proxy. */
  readonly seen: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startRecordingProxy(clinfer: ClinferServer): Promise<RecordingProxy> {
  const target = new URL(clinfer.url);
  const seen: { method: string; path: string }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.end() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
