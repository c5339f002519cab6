/**
 * A loopback pass-through proxy in front of a real clinfer server that counts the bytes of every answer
 * as they cross the wire (status line and headers included, content-encoded bodies as sent): what a
 * browser behind it downloads, service worker included, whatever the browser's own bookkeeping reports.
 * The benchmark also uses it as a slower link (bytesPerSecond) and to see the app uncompressed.
 */
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
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

export interface MeterOptions {
  /** A link of this many bytes per second, shared by every answer (the benchmark's network); default: none. */
  readonly bytesPerSecond?: number;
  /** Drops the requests' Accept-Encoding, so the server answers uncompressed (the benchmark's "before"). */
  readonly identityOnly?: boolean;
}

/** Resolves when the answer can take more, or the browser went away. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((ok) => {
    const done = () => { res.off('drain', done); res.off('close', done); ok(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startTransferMeter(clinfer: ClinferServer, options: MeterOptions = {}): Promise<TransferMeter> {
  const target = new URL(clinfer.url);
  const answers: MeteredAnswer[] = [];
  // The link: each chunk takes its share of time after the previous one, whichever answer it belongs to.
  let linkFreeAt = 0;
  const paced = async (bytes: number) => {
    if (!options.bytesPerSecond) return;
    const start = Math.max(performance.now(), linkFreeAt);
    linkFreeAt = start + (bytes / options.bytesPerSecond) * 1000;
    const wait = linkFreeAt - performance.now();
    if (wait > 1) await new Promise((ok) => setTimeout(ok, wait));
  };
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers, host: target.host };
    if (options.identityOnly) delete headers['accept-encoding'];
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      const head = `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\n` + answer.rawHeaders.map((v, i) => (i % 2 ? `${v}\r\n` : `${v}: `)).join('') + '\r\n';
      const record: MeteredAnswer = { path: req.url ?? '/', status: answer.statusCode ?? 0, encoding: String(answer.headers['content-encoding'] ?? 'identity'), bytes: Buffer.byteLength(head) };
      answers.push(record);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      void (async () => {
        await paced(record.bytes);
        for await (const chunk of answer as AsyncIterable<Buffer>) {
          record.bytes += chunk.length;
          await paced(chunk.length);
          if (!res.write(chunk)) await drained(res);
        }
        res.end();
      })().catch(() => res.destroy());
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
