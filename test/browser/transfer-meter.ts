/**
 * A loopback pass-through proxy in front of a real clinfer server that counts the bytes of every answer
 * as they cross the wire (status line and headers included, content-encoded bodies as sent): what a
 * browser behind it downloads, service worker included, whatever the browser's own bookkeeping reports.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClinferServer } from '../../runtime/server.js';

export interface MeteredAnswer {
  readonly path: string;
  readonly status: number;
  /** The answer's Content-Encoding ('identity' when it has none). */
  readonly encoding: string;
  /** Bytes on the wire: status line, headers and the body as sent. */
  bytes: number;
}

export interface TransferMeter {
  readonly url: string;
  readonly answers: MeteredAnswer[];
  /** Total bytes, and bytes by content-encoding, of the answers so far. */
  totals(): { bytes: number; byEncoding: Record<string, number>; requests: number };
  close(): Promise<void>;
}

export async function startTransferMeter(clinfer: ClinferServer): Promise<TransferMeter> {
  const target = new URL(clinfer.url);
  const answers: MeteredAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
      const head = `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\n` + answer.rawHeaders.map((v, i) => (i % 2 ? `${v}\r\n` : `${v}: `)).join('') + '\r\n';
      const record: MeteredAnswer = { path: req.url ?? '/', status: answer.statusCode ?? 0, encoding: String(answer.headers['content-encoding'] ?? 'identity'), bytes: Buffer.byteLength(head) };
      answers.push(record);
      answer.on('data', (chunk: Buffer) => { record.bytes += chunk.length; });
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
    answers,
    totals() {
      const byEncoding: Record<string, number> = {};
      for (const a of answers) byEncoding[a.encoding] = (byEncoding[a.encoding] ?? 0) + a.bytes;
      return { bytes: answers.reduce((sum, a) => sum + a.bytes, 0), byEncoding, requests: answers.length };
    },
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
